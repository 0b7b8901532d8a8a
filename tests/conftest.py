from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

from tests.cast import Cast, make_cast

# The property tests assert what is read and written, never how fast: on a loaded machine (CI
# runs both databases' suites side by side) Hypothesis's 200 ms deadline per example and its
# too-slow health check failed them at random, with no failing value to show.
settings.register_profile("calldesk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("calldesk")


@pytest.fixture(autouse=True)
def _forget_loaded_push_events() -> None:
    """Each test rolls its rows back, so the next one's events may reuse the same ids (SQLite):
    the push's shared cache of loaded events must not carry them over."""
    from calldesk.push.events import recent

    recent.entries.clear()


@pytest.fixture
def cast(db: None) -> Cast:
    return make_cast()


@pytest.fixture
def specialist_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.specialist)
    return client


@pytest.fixture
def supervisor_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.supervisor)
    return client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` need PostgreSQL's real concurrency; on SQLite they are reported
    as left out (with the reason), never silently passed. CI runs the suite on both."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    left_out = pytest.mark.skip(reason="needs PostgreSQL: run the suite with DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(left_out)
