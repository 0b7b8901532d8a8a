"""Upgrading an installation from before encryption: `calldesk migrate` seals its existing rows
and fills their phone hashes, and everything reads as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.lib.crypto import phone_hash
from calldesk.reports.history import earlier_calls
from calldesk.reports.models import CallReport

# The last migrations before encryption that an installation can be taken back to: sealing is
# part of the migrations that replaced the old 0004-0011 of reports and 0003-0006 of telephony.
BEFORE = [("reports", "0003_list_indexes"), ("telephony", "0002_call_answered_at")]


def stored(sql: str) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_migrating_seals_the_rows_an_older_installation_left_in_clear() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        _upgrade_from_clear_rows(executor.loader.project_state(BEFORE).apps)
    finally:  # whatever happened, the next tests find the database as migrate leaves it
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _upgrade_from_clear_rows(old: Any) -> None:
    # Organizations, users and forms are not touched by the upgrade: today's models make them.
    org = Organization.objects.create(slug="old", name="Old line", time_zone="UTC")
    user = User.objects.create(email="amy@old.example", organization=org)
    form = CallForm.objects.create(organization=org, report_ver="5550001", name="F")
    definition = {"fields": [{"key": "name", "label": "Name", "type": "text", "personal": True}]}
    revision = FormRevision.objects.create(form=form, number=1, definition_json=definition)
    sent = [["reportVer", "5550001"], ["ani", "212-555-0147"], ["who", "Ximena Okonkwo"]]
    for n in range(2):
        call = old.get_model("telephony", "Call").objects.create(
            organization_id=org.pk,
            form_id=form.pk,
            revision_id=revision.pk,
            params=sent,
            unmapped=[sent[2]],
            fingerprint=str(n),
        )
        report = old.get_model("reports", "CallReport").objects.create(
            organization_id=org.pk,
            form_id=form.pk,
            revision_id=revision.pk,
            call=call,
            author_id=user.pk,
            call_start=datetime(2026, 1, 1 + n, tzinfo=UTC),
            phone_raw="212-555-0147",
            phone_e164="+12125550147",
            values={"name": "Ximena Okonkwo"},
        )
        old.get_model("reports", "ReportChange").objects.create(
            report=report, user_id=user.pk, action="submitted", changes={"name": [None, "Ximena Okonkwo"]}, version=2
        )
    assert "Ximena" in json.dumps(stored('SELECT "values" FROM reports_callreport'), default=str)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    raw = json.dumps(
        [
            *stored('SELECT phone_raw, phone_e164, "values" FROM reports_callreport'),
            *stored("SELECT params, unmapped FROM telephony_call"),
            *stored("SELECT changes FROM reports_reportchange"),
        ],
        default=str,
    )
    assert "Ximena" not in raw and "555-0147" not in raw and "5550147" not in raw
    reports = list(CallReport.objects.filter(phone_hash=phone_hash("+12125550147")).order_by("call_start"))
    assert [(r.phone_raw, r.values) for r in reports] == [("212-555-0147", {"name": "Ximena Okonkwo"})] * 2
    assert reports[1].call is not None and reports[1].call.params == sent
    assert [c.changes for c in reports[0].changes.all()] == [{"name": [None, "Ximena Okonkwo"]}]
    assert earlier_calls(reports[1].author, reports[1]).count == 1
