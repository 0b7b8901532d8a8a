"""Concurrent writers on PostgreSQL: one submit wins, parallel autosaves all land."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from calldesk.reports.models import CallReport, ReportChange, Status
from tests.cast import Cast, make_cast
from tests.reporting import JSON, editor_data, open_draft

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20


def in_threads(work: Callable[[int], int]) -> list[int]:
    """Run `work(i)` in THREADS threads released at once; each thread has its own connection."""
    start = threading.Barrier(THREADS)
    results: list[int] = [0] * THREADS

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def cast_tx() -> Cast:
    return make_cast()


def test_twenty_submits_of_one_draft_make_one_submitted_report(cast_tx: Cast) -> None:
    client = Client()
    client.force_login(cast_tx.specialist)
    report = open_draft(client)
    data = editor_data(report, f_summary="once")

    def submit(i: int) -> int:
        me = Client()
        me.force_login(cast_tx.specialist)
        # Half retry the same submit (same key), half are other tabs (their own keys).
        key = "same" if i % 2 else f"tab-{i}"
        return me.post(f"/reports/{report.public_id}/submit", {**data, "submit_key": key}, **JSON).status_code

    codes = in_threads(submit)
    assert set(codes) <= {200, 409}, codes
    assert codes.count(200) >= 1
    assert CallReport.objects.filter(status=Status.SUBMITTED).count() == 1
    assert ReportChange.objects.filter(report=report, action="submitted").count() == 1


def test_twenty_autosaves_of_different_drafts_all_land(cast_tx: Cast) -> None:
    client = Client()
    client.force_login(cast_tx.specialist)
    drafts = [
        open_draft(client, f"/Telephony/GetCallReport?reportVer=9991234&ani=21255501{i:02d}") for i in range(THREADS)
    ]
    forms = [editor_data(d, f_summary=f"note {i}") for i, d in enumerate(drafts)]

    def autosave(i: int) -> int:
        me = Client()
        me.force_login(cast_tx.specialist)
        return me.post(f"/reports/{drafts[i].public_id}/save", forms[i], **JSON).status_code

    assert in_threads(autosave) == [200] * THREADS
    for i, draft in enumerate(drafts):
        draft.refresh_from_db()
        assert draft.values["summary"] == f"note {i}"
        assert draft.version == 2
