"""An event whose transaction commits after a later event's is never lost to a console.

On PostgreSQL an event's id comes from a sequence when its row is inserted, before its transaction
commits: id N+1 can be visible while N is not yet. A console that received N+1 and reconnects with
`Last-Event-ID: N+1` after N committed must still receive N (docs/serving.md, "Late commits").

Two connections of the test's own write the events, as two requests would; the console reads a
real `calldesk serve`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from tests.cast import PASSWORD
from tests.push_servers import EventReader, PhoneSystem, Serve, environment, make_cast, run_cli
from tests.server_process import login, scratch_database

SUPERVISOR = "sue@lifeline.example"
SPECIALIST = "sam@lifeline.example"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="SQLite serializes writes: a transaction holds the one write lock from its first insert "
        "to its commit, so no later id is ever visible before an earlier one commits (runs on PostgreSQL)",
    ),
]

INSERT = (
    "INSERT INTO push_pushevent (organization_id, kind, call_id, state, created_at) "
    "SELECT organization_id, 'call', id, 'talking', now() FROM telephony_call WHERE public_id = %s RETURNING id"
)


@dataclass
class Site:
    server: Serve
    env: dict[str, str]
    folder: Path
    database_url: str
    calls: list[str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("late-commit")
    with scratch_database() as database_url:
        env = environment(database_url, None)
        run_cli(env, "migrate", "-v0")
        token = make_cast(env)
        server = Serve(env, folder / "server.log", workers=1)
        server.start()
        try:
            phone = PhoneSystem(server.url, token)
            calls = [phone.post_call(f"999555060{i}", SPECIALIST)["call"] for i in range(2)]
            phone.close()
            yield Site(server, env, folder, database_url.replace("postgres://", "postgresql://", 1), calls)
        finally:
            server.stop()


def console(site: Site, last_id: int, server: Serve | None = None) -> EventReader:
    client = httpx.Client(base_url=(server or site.server).url, timeout=10)
    login(client, SUPERVISOR, PASSWORD)
    reader = EventReader(client, {"Last-Event-ID": str(last_id)})
    assert reader.status == 200
    return reader


def test_an_event_committed_after_a_later_one_reaches_a_console_that_already_has_the_later_one(site: Site) -> None:
    with psycopg.connect(site.database_url) as slow, psycopg.connect(site.database_url, autocommit=True) as quick:
        row = slow.execute(INSERT, [site.calls[0]]).fetchone()  # a transaction that stays open
        assert row is not None
        early = int(row[0])
        row = quick.execute(INSERT, [site.calls[1]]).fetchone()  # committed at once
        assert row is not None
        later = int(row[0])
        assert later > early

        first = console(site, early - 1)
        try:
            first.wait_for(lambda events: any(e["id"] == later for e in events))
            assert early not in [e["id"] for e in first.events]  # not committed yet
        finally:
            first.close()
        slow.commit()

    again = console(site, later)  # the browser's reconnect after it received `later`
    try:
        events = again.wait_for(lambda events: any(e["id"] == early for e in events), timeout=10)
        (event,) = [e for e in events if e["id"] == early]
        assert event["call"] == site.calls[0]
        assert event["state"] == "talking"
        assert later not in [e["id"] for e in events]  # what the console had is not sent again
    finally:
        again.close()


def test_an_event_committing_late_as_a_process_starts_listening_reaches_its_first_console(site: Site) -> None:
    """A process's database channel starts when its first console connects. An event whose
    transaction is still open then (its id below the latest visible one) must still reach that
    console live once it commits, not only at the console's next reconnect."""
    fresh = Serve(site.env, site.folder / "fresh.log", workers=1)  # no console yet: not listening
    fresh.start()
    try:
        with psycopg.connect(site.database_url) as slow, psycopg.connect(site.database_url, autocommit=True) as quick:
            row = slow.execute(INSERT, [site.calls[0]]).fetchone()  # a transaction that stays open
            assert row is not None
            early = int(row[0])
            row = quick.execute(INSERT, [site.calls[1]]).fetchone()  # committed at once: the latest
            assert row is not None
            later = int(row[0])
            assert later > early

            first = console(site, later, fresh)  # the process's first console starts its channel
            try:
                # Once a newer event arrives live, the stream's catch-up is over (it read the log
                # while `early` was still uncommitted) and the channel is polling.
                row = quick.execute(INSERT, [site.calls[1]]).fetchone()
                assert row is not None
                newer = int(row[0])
                first.wait_for(lambda events: any(e["id"] == newer for e in events))
                assert early not in [e["id"] for e in first.events]
                slow.commit()
                events = first.wait_for(lambda events: any(e["id"] == early for e in events), timeout=10)
                (event,) = [e for e in events if e["id"] == early]
                assert event["call"] == site.calls[0]
            finally:
                first.close()
    finally:
        fresh.stop()
