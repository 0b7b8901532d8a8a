"""`GET /api/reports/export`: every report of a filter as JSON lines, for export jobs (issue 19).

One answer instead of a walk of pages: each line is the item a page gives for that report,
byte for byte, in the same order, with the same filters and the same scoping; the export is
recorded (the dashboard's recent exports, the access log) like the list's downloads."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from django.test import Client

from calldesk.api import reports as api_reports
from calldesk.audit.models import AccessEvent
from calldesk.reports.models import ExportRecord
from tests.apicast import bearer, other_org_token, token_for
from tests.cast import Cast
from tests.reportdata import CALLER, CALLER_E164, NY, Known, make_known, make_report

Action = AccessEvent.Action


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin, "nightly copy")


def _export(query: str, token: str) -> tuple[int, bytes]:
    response = Client().get(f"/api/reports/export{query}", **bearer(token))
    if not response.streaming:
        return response.status_code, response.content
    assert response["Content-Type"] == "application/x-ndjson"
    return response.status_code, b"".join(response.streaming_content)  # type: ignore[attr-defined]


def _page(query: str, token: str) -> bytes:
    response = Client().get(f"/api/reports?limit=200{query}", **bearer(token))
    assert response.status_code == 200, response.content
    return response.content


@pytest.mark.parametrize(
    "query",
    ["", "?sort=call_start", "?from=2026-03-02&to=2026-03-05", "?status=any", "?phone=999.123.4567", "?f_risk=yes"],
)
def test_each_line_is_the_item_a_page_gives_byte_for_byte_in_the_same_order(
    cast: Cast, known: Known, token: str, query: str
) -> None:
    status, body = _export(query, token)
    assert status == 200
    lines = body.split(b"\n")
    assert lines[-1] == b"", "every line ends with a line break"
    page = _page(query.replace("?", "&"), token)
    assert b'{"items":[' + b",".join(lines[:-1]) + b'],"next":null}' == page
    assert len(lines) > 1 or query == "?f_risk=yes"


def test_the_filters_and_the_organization_are_the_lists(cast: Cast, known: Known, token: str) -> None:
    ids = lambda body: [json.loads(line)["id"] for line in body.splitlines()]  # noqa: E731
    everything = ids(_export("?status=any", token)[1])
    assert everything == [str(r.public_id) for r in reversed(known.org_a)], "newest first, drafts too"
    assert str(known.rb.public_id) not in everything, "another organization's report"
    by_default = ids(_export("", token)[1])
    assert str(known.r4.public_id) not in by_default, "no drafts unless asked for, as on the list"
    # 23:30 in New York on 2 March is 3 March in UTC: the days are the organization's.
    caller = [str(known.r2.public_id), str(known.r1.public_id)]
    assert ids(_export("?from=2026-03-02&to=2026-03-02", token)[1]) == caller
    assert ids(_export("?phone=(999)%20123-4567", token)[1]) == caller
    assert ids(_export("", other_org_token(cast))[1]) == [str(known.rb.public_id)]


def test_personal_values_are_opened_and_written_as_json(cast: Cast, known: Known, token: str) -> None:
    [line] = _export("?from=2026-03-02&to=2026-03-02&f_language=English", token)[1].splitlines()
    report = json.loads(line)
    assert report["phone"] == CALLER and report["phoneE164"] == CALLER_E164
    assert report["values"]["summary"] == "Upset about RENT"
    assert report["callStart"] == "2026-03-02T15:00:00Z"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=yesterday", "from"),
        ("?from=2026-03-05&to=2026-03-01", "to"),
        ("?status=lost", "status"),
        ("?sort=agent", "sort"),
    ],
)
def test_a_bad_filter_gets_its_fields_message_and_nothing_is_recorded(
    cast: Cast, known: Known, token: str, query: str, field: str
) -> None:
    status, body = _export(query, token)
    assert status == 422
    assert field in json.loads(body)["errors"]
    assert not ExportRecord.objects.exists()
    assert not AccessEvent.objects.filter(action=Action.REPORT_EXPORT).exists()


def test_no_token_or_a_token_in_the_address_is_refused(cast: Cast, known: Known, token: str) -> None:
    assert Client().get("/api/reports/export").status_code == 401
    assert Client().get(f"/api/reports/export?token={token}").status_code == 401
    assert not ExportRecord.objects.exists()


def test_the_export_is_recorded_for_the_token_and_shown_on_the_dashboard(
    cast: Cast, known: Known, token: str, supervisor_client: Client
) -> None:
    status, body = _export("?phone=9991234567", token)
    assert status == 200 and len(body.splitlines()) == 2
    [record] = ExportRecord.objects.all()
    assert (record.format, record.actor, record.user, record.rows, record.complete) == (
        ExportRecord.Format.API,
        "API token “nightly copy”",
        None,
        2,
        True,
    )
    [event] = AccessEvent.objects.filter(action=Action.REPORT_EXPORT)
    assert event.actor == "API token “nightly copy”" and event.organization_id == cast.org_a.pk
    assert event.details["format"] == "api" and event.details["by_phone"] is True
    [search] = AccessEvent.objects.filter(action=Action.PHONE_SEARCH)
    assert event.phone_digest == search.phone_digest and search.actor == event.actor
    dashboard = supervisor_client.get("/dashboards/?from=2026-03-01&to=2026-03-31").content.decode()
    exports = dashboard[dashboard.index('id="exports"') :]
    assert "API token “nightly copy”" in exports and "API (JSON lines)" in exports
    assert "a phone number" in exports and "999" not in exports


def test_the_list_page_does_not_offer_the_apis_format(cast: Cast, known: Known, supervisor_client: Client) -> None:
    response = supervisor_client.get("/reports/?export=api")
    assert response.status_code == 400
    assert b"Unknown export format" in response.content
    assert not ExportRecord.objects.exists()


def test_a_download_stopped_half_way_is_recorded_with_the_lines_sent_and_stops_reading(
    cast: Cast, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small pieces, so that a few reports make several of them (and several read-ahead batches).
    monkeypatch.setattr(api_reports, "LINES_PER_CHUNK", 3)
    monkeypatch.setattr(api_reports, "CHUNK", 4)
    start = datetime(2026, 3, 1, 9, 0, tzinfo=NY)
    for minute in range(20):
        make_report(cast.form_a, cast.specialist, start + timedelta(minutes=minute))
    response = Client().get("/api/reports/export", **bearer(token))
    pieces = iter(response.streaming_content)  # type: ignore[attr-defined]
    first = next(pieces)
    assert len(first.splitlines()) == 3
    assert [thread for thread in threading.enumerate() if thread.name == "read-ahead"], "the next rows are read"
    # The client goes away: the server closes the response's iterator (the test client's
    # wrapper around it, which then closes the response as a server would).
    response._iterator.close()  # type: ignore[attr-defined]
    [record] = ExportRecord.objects.all()
    assert (record.rows, record.complete) == (3, False)
    assert not [thread for thread in threading.enumerate() if thread.name == "read-ahead"]
    status, body = _export("", token)
    assert status == 200 and len(body.splitlines()) == 20
    assert ExportRecord.objects.order_by("-pk").first().rows == 20  # type: ignore[union-attr]
