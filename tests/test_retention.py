"""Retention: `calldesk retention` blanks exactly the expired reports' personal data, once."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from calldesk.dashboards.stats import build_dashboard
from calldesk.reports.models import CallReport, ExportRecord, ReportChange, RetentionRun
from calldesk.reports.retention import run_retention
from calldesk.telephony.models import Call
from tests.cast import Cast
from tests.reportdata import CALLER, NY, Known, make_known

# With 30 days kept, reports whose call started before 6 March 2026 12:00 UTC are expired.
NOW = datetime(2026, 4, 5, 12, 0, tzinfo=NY)


@pytest.fixture
def known(cast: Cast) -> Known:
    cast.org_a.retention_days = 30
    cast.org_a.save()
    return make_known(cast)


def snapshot() -> list[Any]:
    reports = [
        (r.pk, r.phone_raw, r.phone_e164, r.values, r.redacted_at, r.version, r.updated_at, r.status, r.call_type)
        for r in CallReport.objects.order_by("pk")
    ]
    calls = [(c.pk, c.params, c.unmapped, c.resolved, c.fingerprint) for c in Call.objects.order_by("pk")]
    changes = [(c.pk, c.changes) for c in ReportChange.objects.order_by("pk")]
    return [reports, calls, changes]


def test_it_blanks_phone_and_personal_fields_of_expired_reports_only(cast: Cast, known: Known) -> None:
    run = run_retention(cast.org_a, NOW)
    assert run is not None
    expired = [known.r1, known.r2, known.r3]
    for report in expired:
        report.refresh_from_db()
        assert report.phone_raw == "" and report.phone_e164 == ""
        assert "summary" not in report.values  # personal in its own revision
        assert report.redacted_at == NOW
    # Everything else stays for statistics.
    assert known.r1.values == {"language": "English", "incoming_line": "Main line", "risk": True}
    assert known.r2.values["language"] == "Spanish"
    assert known.r1.status == "submitted" and known.r1.agent == cast.specialist
    for report in [known.r4, known.r5, known.r6, known.rb]:
        before = report.values, report.phone_raw
        report.refresh_from_db()
        assert (report.values, report.phone_raw) == before
        assert report.redacted_at is None
    assert run.reports_redacted == 3
    assert run.field_keys == ["summary"]
    assert run.cutoff == datetime(2026, 3, 6, 12, 0, tzinfo=NY)


def test_it_blanks_the_callers_number_in_the_call_record_and_history(cast: Cast, known: Known) -> None:
    run_retention(cast.org_a, NOW)
    call = Call.objects.get(report=known.r1)
    assert ["ANI", ""] in call.params
    assert ["reportVer", "9991234"] in call.params  # the rest is kept
    assert call.unmapped == [["ani_extra", ""]]
    assert call.resolved == {"summary": ""}
    assert call.fingerprint == ""
    history = ReportChange.objects.filter(report=known.r1).order_by("pk")
    assert history[0].changes["phone_raw"] == [None, None]
    assert history[0].changes["summary"] == [None, None]
    assert history[0].changes["language"] == [None, "English"]
    assert history.last().action == ReportChange.Action.REDACTED  # type: ignore[union-attr]
    everything = repr(snapshot())
    assert "RENT" not in everything and CALLER not in repr(Call.objects.get(report=known.r1).params)
    # The unexpired draft keeps its caller's number.
    assert ["ANI", "9995550000"] in Call.objects.get(report=known.r4).params


def test_running_it_twice_changes_nothing_the_second_time(cast: Cast, known: Known) -> None:
    run_retention(cast.org_a, NOW)
    after_first = snapshot()
    second = run_retention(cast.org_a, NOW)
    assert snapshot() == after_first
    assert second is not None
    assert (second.reports_redacted, second.calls_redacted, second.exports_redacted) == (0, 0, 0)
    assert RetentionRun.objects.count() == 2


def test_dashboard_counts_are_unchanged(cast: Cast, known: Known) -> None:
    before = build_dashboard(cast.org_a, date(2026, 3, 1), date(2026, 3, 31))
    run_retention(cast.org_a, NOW)
    after = build_dashboard(cast.org_a, date(2026, 3, 1), date(2026, 3, 31))
    assert (after.total, after.submitted, after.unsubmitted, after.hangups_recorded) == (6, 3, 3, 2 + 1)
    assert after.charts_json() == before.charts_json()


def test_an_organization_without_a_retention_period_keeps_everything(cast: Cast, known: Known) -> None:
    assert run_retention(cast.org_b, NOW) is None
    known.rb.refresh_from_db()
    assert known.rb.phone_raw == CALLER
    assert not RetentionRun.objects.filter(organization=cast.org_b).exists()


def test_recorded_export_filters_lose_the_callers_number(cast: Cast, known: Known) -> None:
    old = ExportRecord.objects.create(organization=cast.org_a, format="csv", filters={"phone": "+19991234567"})
    ExportRecord.objects.filter(pk=old.pk).update(started_at=datetime(2026, 1, 1, tzinfo=NY))
    recent = ExportRecord.objects.create(organization=cast.org_a, format="csv", filters={"phone": "+19995550000"})
    ExportRecord.objects.filter(pk=recent.pk).update(started_at=NOW)
    run = run_retention(cast.org_a, NOW)
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.filters == {"phone_removed": True}
    assert recent.filters == {"phone": "+19995550000"}
    assert run is not None and run.exports_redacted == 1


def test_the_command_runs_every_organization_and_says_what_it_did(cast: Cast, known: Known) -> None:
    out = io.StringIO()
    call_command("retention", stdout=out)
    text = out.getvalue()
    expired = CallReport.objects.filter(organization=cast.org_a, call_start__lt=timezone.now() - timedelta(days=30))
    assert text.startswith(f"lifeline: {expired.count()} reports")
    assert RetentionRun.objects.get(organization=cast.org_a).reports_redacted == expired.count()
    assert "other" not in text  # no retention period: not touched
    out = io.StringIO()
    call_command("retention", "--org", "other", stdout=out)
    assert "keeps personal data" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("retention", "--org", "nope")


def test_redacted_reports_still_open_and_export(cast: Cast, known: Known, supervisor_client: Client) -> None:
    run_retention(cast.org_a, NOW)
    assert supervisor_client.get(f"/reports/{known.r1.public_id}/").status_code == 200
    response = supervisor_client.get("/reports/?export=csv")
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "RENT" not in text and "999-123-4567" not in text


def test_the_dashboard_says_what_retention_last_did(cast: Cast, known: Known, supervisor_client: Client) -> None:
    run_retention(cast.org_a, NOW)
    body = supervisor_client.get("/dashboards/").content.decode()
    assert "Callers' personal data is kept 30 days." in body
    assert ": 3 reports." in body
