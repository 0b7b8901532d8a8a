from __future__ import annotations

import pytest
from django.test import Client

from tests.cast import Cast, make_cast


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
