"""A report's history reads as people speak: labels, the organization's time, only real
changes. The fix is where the change is recorded, and the page also hides
entries recorded before it that read the same on both sides."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client

from calldesk.reports.models import CallReport, ReportChange
from tests.cast import Cast, make_form
from tests.reporting import editor_data, open_draft

DEFINITION = {
    "fields": [
        {
            "key": "topics",
            "label": "Topics",
            "type": "multi_choice",
            "choices": ["Mental health", "Loneliness", "Housing"],
        },
        {"key": "risk", "label": "Risk assessed", "type": "yes_no"},
        {"key": "callback_at", "label": "Call back at", "type": "datetime"},
        {"key": "summary", "label": "Summary", "type": "long_text"},
    ],
    "call_types": [
        {"key": "referral_call", "label": "Referral", "data": True},
        {"key": "hang_up", "label": "Hang-up", "data": False},
    ],
}


def submitted_report(cast: Cast, client: Client) -> CallReport:
    make_form(cast.org_a, "7770001", DEFINITION, "Referral line")
    # No callStart: the call starts "now", stored with its microseconds.
    report = open_draft(client, "/Telephony/GetCallReport?reportVer=7770001&agent=34&ani=999-123-4567")
    data = editor_data(
        report,
        f_topics=["Mental health", "Loneliness"],
        f_risk="true",
        f_callback_at="2026-03-02T18:30:00",
        f_summary="first words",
        submit_key="s1",
    )
    assert client.post(f"/reports/{report.public_id}/submit", data).status_code == 302
    report.refresh_from_db()
    return report


def history_html(client: Client, report: CallReport) -> str:
    page = client.get(f"/reports/{report.public_id}/").content.decode()
    return page[page.index('id="report-history"') :]


def test_submitting_records_no_call_start_change_nobody_made(cast: Cast, specialist_client: Client) -> None:
    report = open_draft(specialist_client)
    report.call_start = report.call_start.replace(microsecond=123456)
    report.save(update_fields=["call_start"])
    data = editor_data(report, f_summary="words", submit_key="k")
    assert specialist_client.post(f"/reports/{report.public_id}/submit", data).status_code == 302
    submitted = ReportChange.objects.get(report=report, action="submitted")
    assert "call_start" not in submitted.changes
    report.refresh_from_db()
    assert report.call_start.microsecond == 123456  # the stored moment is kept as it came
    assert "Call start:" not in history_html(specialist_client, report)


def test_a_correction_shows_labels_words_and_the_organizations_time(cast: Cast, specialist_client: Client) -> None:
    report = submitted_report(cast, specialist_client)
    data = editor_data(
        report,
        f_topics=["Mental health"],
        f_risk="false",
        call_type="hang_up",
        call_start="2026-03-02T10:00:00",
        f_callback_at="2026-03-02T19:00:00",
    )
    assert specialist_client.post(f"/reports/{report.public_id}/save", data).status_code == 302
    history = history_html(specialist_client, report)
    assert "Topics: Mental health, Loneliness → Mental health" in history
    assert "Risk assessed: Yes → No" in history
    assert "Call type: Referral → Hang-up" in history
    assert "→ 2026-03-02 10:00:00" in history  # New York wall-clock time, as typed
    assert "Call back at: 2026-03-02 18:30:00 → 2026-03-02 19:00:00" in history
    for debug in ("[&#x27;", "['", "True", "False", "hang_up", "referral_call", "+00:00", "Phone (E.164)"):
        assert debug not in history, debug


def test_the_report_view_shows_a_date_time_field_in_the_organizations_time(
    cast: Cast, specialist_client: Client
) -> None:
    report = submitted_report(cast, specialist_client)
    assert report.values["callback_at"] == "2026-03-02T23:30:00+00:00"  # stored in UTC
    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "<dt>Call back at</dt><dd>2026-03-02 18:30:00</dd>" in page


def test_entries_recorded_before_the_fix_that_read_the_same_are_not_shown(
    cast: Cast, specialist_client: Client
) -> None:
    report = submitted_report(cast, specialist_client)
    moment = datetime(2026, 3, 2, 15, 0, 0, tzinfo=UTC)
    ReportChange.objects.create(
        report=report,
        user=cast.specialist,
        action=ReportChange.Action.CORRECTED,
        changes={
            "call_start": [moment.replace(microsecond=520114).isoformat(), moment.isoformat()],
            "topics": [None, []],
            "summary": ["same", "same"],
        },
        version=99,
    )
    entry = history_html(specialist_client, report).rsplit("<strong>Corrected</strong>", 1)[1]
    assert "<li>" not in entry.split("</li>", 1)[0]  # an entry without change rows
    assert "Call start" not in entry and "Topics" not in entry and "Summary" not in entry


def test_a_yes_no_answered_no_is_a_change_from_nothing(cast: Cast, specialist_client: Client) -> None:
    report = submitted_report(cast, specialist_client)
    report.values.pop("risk")
    report.save(update_fields=["values"])
    data = editor_data(report, f_risk="false")
    assert specialist_client.post(f"/reports/{report.public_id}/save", data).status_code == 302
    change = ReportChange.objects.filter(report=report, action="corrected").last()
    assert change is not None and change.changes["risk"] == [None, False]
    assert "Risk assessed: Unknown → No" in history_html(specialist_client, report)
