"""Imminent risk (SPEC §9): raised from the editor, alerted on supervisors' consoles until one
takes it, the emergency record that holds the report's submit, the dashboard and the API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client

from calldesk.push import events
from calldesk.push.events import Viewer
from calldesk.push.models import PushEvent
from calldesk.reports.models import CallReport, Status
from calldesk.reports.retention import run_retention
from calldesk.risk.models import EmergencyRecord, RiskEvent
from tests.apicast import bearer, other_org_token, token_for
from tests.cast import Cast, make_user
from tests.reporting import JSON, editor_data, open_draft


def raised(client: Client, report: CallReport) -> RiskEvent:
    answer = client.post(f"/risk/reports/{report.public_id}/raise", **JSON)
    assert answer.status_code == 200, answer.content[:300]
    return RiskEvent.objects.get(report=report)


def risk_events_seen(user: object) -> list[dict[str, object]]:
    return [e.data for e in events.catch_up(Viewer.of(user), 0) if e.kind == "risk"]  # type: ignore[arg-type]


RECORD = {
    "consent": "without",
    "service": "psap",
    "reference": "PSAP-2026-7781",
    "contacted_at": "2026-12-05T21:10",
    "dispatched_at": "2026-12-05T21:12",
    "confirmed_at": "2026-12-05T21:30",
    "outcome": "on_scene",
    "notes": "Unit 12 reached her at home",
}


def test_a_raise_alerts_every_supervisor_of_the_organization_and_no_one_else(
    cast: Cast, specialist_client: Client
) -> None:
    report = open_draft(specialist_client)
    risk = raised(specialist_client, report)
    assert risk.raised_by == cast.specialist and risk.line == "8886201111"
    other_supervisor = make_user(cast.org_a, "sid@lifeline.example", "supervisor", name="Sid Supervisor")
    for supervisor in (cast.supervisor, other_supervisor):
        (alert,) = risk_events_seen(supervisor)
        assert alert["state"] == "raised" and alert["line"] == "8886201111"
        assert alert["specialist"] == "Sam Specialist" and alert["risk"] == str(risk.public_id)
    assert risk_events_seen(cast.specialist2) == []
    assert risk_events_seen(cast.specialist_b) == []
    # The pushed event is sent as its own kind, and holds no caller data.
    pushed = events.catch_up(Viewer.of(cast.supervisor), 0)[-1]
    assert b"event: risk\n" in pushed.message(Viewer.of(cast.supervisor))
    assert "1234567" not in str(PushEvent.objects.filter(kind="risk").values().get())


def test_raising_twice_is_one_event_and_one_alert(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    raised(specialist_client, report)
    raised(specialist_client, report)
    assert RiskEvent.objects.count() == 1
    assert PushEvent.objects.filter(kind="risk").count() == 1


def test_outsiders_cannot_raise_take_or_record(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    other_org = Client()
    other_org.force_login(cast.specialist_b)
    colleague = Client()
    colleague.force_login(cast.specialist2)
    for client in (other_org, colleague):
        assert client.post(f"/risk/reports/{report.public_id}/raise").status_code == 404
    risk = raised(specialist_client, report)
    for client in (other_org, colleague, specialist_client):
        assert client.post(f"/risk/{risk.public_id}/take").status_code == 404
        assert client.post(f"/risk/{risk.public_id}/take-over").status_code == 404
    for client in (other_org, colleague):
        assert client.post(f"/risk/reports/{report.public_id}/emergency", RECORD).status_code == 404
    assert specialist_client.get(f"/risk/reports/{report.public_id}/raise").status_code == 405
    risk.refresh_from_db()
    assert risk.taken_at is None and not EmergencyRecord.objects.exists()


def test_the_first_supervisor_takes_it_and_every_console_stops_alerting(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    report = open_draft(specialist_client)
    risk = raised(specialist_client, report)
    console = supervisor_client.get("/console/").content.decode()
    assert str(risk.public_id) in console and 'id="risk-alerts"' in console  # the page's own query
    answer = supervisor_client.post(f"/risk/{risk.public_id}/take", **JSON)
    assert answer.json()["risk"]["state"] == "taken" and answer.json()["risk"]["takenBy"] == "Sue Supervisor"
    late = make_user(cast.org_a, "sid@lifeline.example", "supervisor")
    late_client = Client()
    late_client.force_login(late)
    late_client.post(f"/risk/{risk.public_id}/take")
    risk.refresh_from_db()
    assert risk.taken_by == cast.supervisor  # the first one keeps it
    # The consoles learn it from the stream: the newest risk event now says "taken".
    assert risk_events_seen(late)[-1]["state"] == "taken"
    assert str(risk.public_id) not in supervisor_client.get("/console/").content.decode()


def test_only_the_organizations_supervisors_consoles_open_with_the_alert(cast: Cast, specialist_client: Client) -> None:
    risk = raised(specialist_client, open_draft(specialist_client))
    other_supervisor = Client()
    other_supervisor.force_login(make_user(cast.org_b, "boss@other.example", "supervisor"))
    for client in (specialist_client, other_supervisor):
        page = client.get("/console/").content.decode()
        assert str(risk.public_id) not in page
    assert 'id="risk-alerts"' not in specialist_client.get("/console/").content.decode()


def test_a_report_with_risk_is_not_submitted_until_its_record_has_an_outcome(
    cast: Cast, specialist_client: Client
) -> None:
    report = open_draft(specialist_client)
    raised(specialist_client, report)
    submit = editor_data(report, f_summary="Talked it through", submit_key="k1")
    answer = specialist_client.post(f"/reports/{report.public_id}/submit", submit, **JSON)
    assert answer.status_code == 409 and "emergency" in answer.json()["message"]
    page = specialist_client.post(f"/reports/{report.public_id}/submit", submit, follow=True).content.decode()
    assert "record the emergency" in page and 'id="risk-refusal"' in page
    report.refresh_from_db()
    assert report.status == Status.DRAFT

    without_outcome = {**RECORD, "outcome": ""}
    assert (
        specialist_client.post(f"/risk/reports/{report.public_id}/emergency", without_outcome, **JSON).status_code
        == 200
    )
    assert specialist_client.post(f"/reports/{report.public_id}/submit", submit, **JSON).status_code == 409
    answer = specialist_client.post(f"/risk/reports/{report.public_id}/emergency", RECORD, **JSON)
    assert answer.status_code == 200 and 'id="risk-refusal"' not in answer.json()["html"]
    answer = specialist_client.post(f"/reports/{report.public_id}/submit", submit, **JSON)
    assert answer.status_code == 200, answer.content
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED


def test_a_supervisor_taking_the_record_over_lets_the_report_be_submitted(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    report = open_draft(specialist_client)
    risk = raised(specialist_client, report)
    assert supervisor_client.post(f"/risk/{risk.public_id}/take-over").status_code == 302
    risk.refresh_from_db()
    assert risk.taken_over_by == cast.supervisor and risk.taken_by == cast.supervisor
    submit = editor_data(report, f_summary="Handed to Sue", submit_key="k2")
    assert specialist_client.post(f"/reports/{report.public_id}/submit", submit, **JSON).status_code == 200


def test_the_record_reads_times_in_the_organizations_zone_and_seals_the_caller_data(
    cast: Cast, specialist_client: Client
) -> None:
    report = open_draft(specialist_client)
    raised(specialist_client, report)
    specialist_client.post(f"/risk/reports/{report.public_id}/emergency", RECORD, **JSON)
    record = EmergencyRecord.objects.get(report=report)
    # Lifeline is in America/New_York: 21:10 there is 02:10 UTC the next day.
    assert record.contacted_at == datetime(2026, 12, 6, 2, 10, tzinfo=UTC)
    assert record.reference == "PSAP-2026-7781" and record.outcome == "on_scene"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference, notes FROM risk_emergencyrecord")
        stored = " ".join(cursor.fetchone())
    assert "PSAP-2026-7781" not in stored and "Unit 12" not in stored
    # The panel shows the times back as typed.
    html = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert 'value="2026-12-05T21:10"' in html and "PSAP-2026-7781" in html


def test_a_bad_record_is_refused_with_a_message_and_nothing_written(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    assert specialist_client.post(f"/risk/reports/{report.public_id}/emergency", RECORD, **JSON).status_code == 409
    raised(specialist_client, report)
    bad = {**RECORD, "dispatched_at": "2026-12-05T20:00", "confirmed_at": "yesterday", "service": "army"}
    answer = specialist_client.post(f"/risk/reports/{report.public_id}/emergency", bad, **JSON)
    assert answer.status_code == 400
    html = answer.json()["html"]
    assert "Dispatched before it was contacted?" in html or "Select a valid choice" in html
    assert 'id="risk-error-confirmed_at"' in html and 'id="risk-error-service"' in html
    assert not EmergencyRecord.objects.exists()


def test_the_editor_shows_the_raise_button_with_its_shortcut(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    html = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert 'id="risk-raise"' in html and 'aria-keyshortcuts="Control+Shift+R"' in html
    assert "risk-editor.js" in html


def test_the_dashboard_counts_risk_events_response_times_and_outcomes(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    report = open_draft(specialist_client)
    risk = raised(specialist_client, report)
    RiskEvent.objects.filter(pk=risk.pk).update(raised_at=risk.raised_at - timedelta(seconds=90))
    supervisor_client.post(f"/risk/{risk.public_id}/take")
    specialist_client.post(f"/risk/reports/{report.public_id}/emergency", RECORD)
    EmergencyRecord.objects.filter(report=report).update(confirmed_at=risk.raised_at + timedelta(minutes=20))
    html = supervisor_client.get("/dashboards/").content.decode()
    section = html[html.index('id="risk-dashboard"') :]
    assert re.search(r'id="risk-raised">1<', section) and re.search(r'id="risk-taken">1<', section)
    assert re.search(r'id="risk-to-take">1 min 3\d s<', section)
    assert "Emergency services reached the person" in section


def test_the_api_reads_risk_events_of_the_tokens_organization_only(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    risk = raised(specialist_client, report)
    specialist_client.post(f"/risk/reports/{report.public_id}/emergency", RECORD)
    client = Client()
    token = token_for(cast.admin)
    listed = client.get("/api/risk-events", **bearer(token)).json()["items"]
    assert [item["id"] for item in listed] == [str(risk.public_id)]
    one = client.get(f"/api/risk-events/{risk.public_id}", **bearer(token)).json()
    assert one["line"] == "8886201111" and one["emergency"]["outcome"] == "on_scene"
    assert "PSAP-2026-7781" not in json.dumps(one)  # the reference is the caller's, not the API's
    other = other_org_token(cast)
    assert client.get(f"/api/risk-events/{risk.public_id}", **bearer(other)).status_code == 404
    assert client.get("/api/risk-events", **bearer(other)).json()["items"] == []
    assert client.get("/api/risk-events/not-a-uuid", **bearer(token)).status_code == 404
    assert client.get("/api/risk-events").status_code == 401
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/risk-events" in paths and "/api/risk-events/{risk_id}" in paths


def test_retention_blanks_the_records_reference_and_notes_with_the_report(
    cast: Cast, specialist_client: Client
) -> None:
    report = open_draft(specialist_client)
    raised(specialist_client, report)
    specialist_client.post(f"/risk/reports/{report.public_id}/emergency", RECORD)
    cast.org_a.retention_days = 30
    cast.org_a.save(update_fields=["retention_days"])
    CallReport.objects.filter(pk=report.pk).update(call_start=report.call_start - timedelta(days=31))
    run_retention(cast.org_a)
    record = EmergencyRecord.objects.get(report=report)
    assert (record.reference, record.notes) == ("", "")
    assert record.outcome == "on_scene" and record.service == "psap"  # kept for the statistics
