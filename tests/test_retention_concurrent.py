"""Two nightly timers at once: every expired report is redacted exactly once (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection

from calldesk.reports import retention
from calldesk.reports.models import CallReport, ReportChange, RetentionRun
from tests.cast import make_cast
from tests.reportdata import NY, make_report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
RUNS = 4
NOW = datetime(2026, 4, 5, 12, 0, tzinfo=NY)


def test_runs_at_the_same_time_share_the_work_and_redact_each_report_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 5)  # many small batches, so the runs interleave
    cast = make_cast()
    cast.org_a.retention_days = 30
    cast.org_a.save()
    start = datetime(2026, 1, 1, 9, 0, tzinfo=NY)
    for minute in range(60):
        make_report(
            cast.form_a,
            cast.specialist,
            start + timedelta(minutes=minute),
            phone=("999-123-4567", "+19991234567"),
            values={"summary": "private", "language": "English"},
        )
    barrier = threading.Barrier(RUNS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            retention.run_retention(cast.org_a, NOW)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    runs = RetentionRun.objects.filter(organization=cast.org_a)
    assert runs.count() == RUNS
    assert sum(run.reports_redacted for run in runs) == 60
    redactions = ReportChange.objects.filter(action=ReportChange.Action.REDACTED)
    assert redactions.count() == 60
    assert redactions.values("report").distinct().count() == 60
    assert not CallReport.objects.filter(redacted_at__isnull=True).exists()
    assert not CallReport.objects.exclude(phone_raw="").exists()
    assert not CallReport.objects.filter(values__has_key="summary").exists()
