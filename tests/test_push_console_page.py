"""The console page (/console/): who may open it and what it starts with."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from calldesk.telephony.lifecycle import RecordedCall, record_call
from tests.cast import Cast


def call_for(cast: Cast, ani: str, agent: str = "sam@lifeline.example", org: str = "a") -> RecordedCall:
    """A call posted to the API."""
    form = cast.form_a if org == "a" else cast.form_b
    pairs = [("reportVer", form.report_ver), ("ani", ani), ("dnis", "8886201111"), ("agent", agent)]
    return record_call(form.organization, pairs)


def board(page: str) -> list[dict[str, object]]:
    found = re.search(r'<script id="console-board-calls" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    return list(json.loads(found.group(1)))


def test_anonymous_people_are_sent_to_log_in(client: Client) -> None:
    answer = client.get("/console/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/?next=/console/")


def test_a_specialist_gets_the_console_with_its_script_and_no_board(specialist_client: Client) -> None:
    page = specialist_client.get("/console/").content.decode()
    assert 'id="console"' in page
    assert re.search(r'<script src="/static/calldesk/console[^"]*\.js"></script>', page)
    assert 'id="console-board"' not in page
    assert "<script>" not in page  # the site's CSP forbids inline scripts


def test_the_console_starts_after_the_last_event_so_it_replays_nothing_old(
    cast: Cast, specialist_client: Client
) -> None:
    opened = call_for(cast, "9995550100")
    page = specialist_client.get("/console/").content.decode()
    after = re.search(r'data-after="(\d+)"', page)
    assert after is not None and int(after.group(1)) == opened.call.push_events.get().pk


def test_it_names_the_events_before_its_start_that_it_shows_so_the_stream_resending_them_changes_nothing(
    cast: Cast, specialist_client: Client
) -> None:
    mine = call_for(cast, "9995550101").call.push_events.get().pk
    call_for(cast, "9995550102", agent="kim@lifeline.example")  # not sam's: never sent to sam
    last = call_for(cast, "9995550103").call.push_events.get().pk
    page = specialist_client.get("/console/").content.decode()
    found = re.search(r'<script id="console-shown-events" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    # On PostgreSQL the stream's first catch-up re-reads the seconds before `last` (an event may
    # commit late); on SQLite ids become visible in order and it starts at `last`.
    assert json.loads(found.group(1)) == ([] if connection.vendor == "sqlite" else [mine])
    assert f'data-after="{last}"' in page


def test_the_supervisors_board_starts_with_the_organizations_calls_that_have_not_ended(
    cast: Cast, supervisor_client: Client
) -> None:
    ringing = call_for(cast, "9995550201")
    talking = call_for(cast, "9995550202")
    talking.call.answered_at = timezone.now()
    talking.call.save(update_fields=["answered_at"])
    ended = call_for(cast, "9995550203")
    ended.call.ended_at = timezone.now()
    ended.call.save(update_fields=["ended_at"])
    unassigned = call_for(cast, "9995550204", agent="nobody@lifeline.example")
    call_for(cast, "4420790001", agent="bea@other.example", org="b")
    calls = {entry["caller"]: entry for entry in board(supervisor_client.get("/console/").content.decode())}
    assert set(calls) == {"9995550201", "9995550202", "9995550204"}
    assert calls["9995550201"]["state"] == "ringing"
    assert calls["9995550202"]["state"] == "talking"
    assert calls["9995550204"]["unassigned"] is True
    assert ringing.report is not None
    assert calls["9995550201"]["editor"] == f"/reports/{ringing.report.public_id}/edit/"
    assert unassigned.report is None


def test_caller_data_on_the_board_is_data_never_markup(cast: Cast, supervisor_client: Client) -> None:
    call_for(cast, "<img src=x onerror=alert(1)>")
    page = supervisor_client.get("/console/").content.decode()
    assert "<img src=x" not in page


def test_every_page_links_to_the_console(specialist_client: Client) -> None:
    assert '<a href="/console/">Console</a>' in specialist_client.get("/reports/").content.decode()


@pytest.mark.parametrize("path", ["/console/", "/console/window", "/console/status"])
def test_only_get_is_allowed(specialist_client: Client, path: str) -> None:
    assert specialist_client.post(path).status_code == 405


def test_the_report_window_needs_a_login(client: Client, specialist_client: Client) -> None:
    assert client.get("/console/window").status_code == 302
    assert "Calls sent to you open here" in specialist_client.get("/console/window").content.decode()


def test_the_status_says_whether_the_console_is_still_logged_in(client: Client, specialist_client: Client) -> None:
    assert client.get("/console/status").json() == {"loggedIn": False}
    assert client.get("/console/status").status_code == 401
    assert specialist_client.get("/console/status").json() == {"loggedIn": True}


def test_without_calldesk_serve_the_stream_says_what_it_needs(specialist_client: Client) -> None:
    answer = specialist_client.get("/console/events")
    assert answer.status_code == 503
    assert "calldesk serve" in answer.content.decode()
