"""An empty field is one thing in the store and in every query, on SQLite and PostgreSQL:
no key at all, never a JSON null, "" or [] beside it."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

from django.apps import apps
from django.test import Client

from calldesk.reports.models import CallReport
from tests.cast import Cast
from tests.reporting import editor_data, open_draft

PLAIN = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&callStart=2026-03-02T10:00:00"


def submitted(client: Client, **fields: Any) -> CallReport:
    report = open_draft(client, PLAIN)
    data = editor_data(report, submit_key=str(report.public_id), **fields)
    assert client.post(f"/reports/{report.public_id}/submit", data).status_code == 302
    report.refresh_from_db()
    return report


def language_chart(client: Client) -> dict[str, int]:
    body = client.get("/dashboards/?from=2026-03-01&to=2026-03-03").content.decode()
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', body, re.S)
    assert match
    chart = next(c for c in json.loads(match.group(1)) if c["id"] == "field-language")
    return dict(zip(chart["labels"], chart["values"], strict=True))


def listed(client: Client, query: str) -> int:
    body = client.get("/reports/?status=any&" + query).content.decode()
    return body.count('<tr><td><a href="/reports/')


def test_a_field_saved_empty_is_not_stored_at_all(cast: Cast, specialist_client: Client) -> None:
    report = submitted(specialist_client, f_language="", f_dialled_number="", f_summary="words", f_risk="")
    assert report.values == {"summary": "words"}


def test_a_choice_saved_empty_counts_once_as_none(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    submitted(specialist_client, f_language="", f_summary="a")
    submitted(specialist_client, f_language="", f_summary="b")
    submitted(specialist_client, f_language="English", f_summary="c")
    assert language_chart(supervisor_client) == {"(none)": 2, "English": 1}


def test_a_text_filter_never_matches_an_empty_field(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    submitted(specialist_client, f_dialled_number="", f_summary="a")
    submitted(specialist_client, f_dialled_number="8886201111", f_summary="b")
    for typed in ("nu", "u", "l", "null"):
        assert listed(supervisor_client, f"f_dialled_number={typed}") == 0, typed
    assert listed(supervisor_client, "f_dialled_number=620") == 1


def test_the_migration_turns_stored_nulls_and_blanks_into_no_key(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    old = submitted(specialist_client, f_summary="kept")
    # Rows as older code wrote them, straight into the table (save() would tidy them).
    legacy = {"language": None, "dialled_number": "", "topics": [], "summary": "kept", "risk": False}
    CallReport.objects.filter(pk=old.pk).update(values=legacy)

    migration = importlib.import_module("calldesk.reports.migrations.0012_craft_unique_numbers")
    migration.drop_empty_values(apps, None)

    old.refresh_from_db()
    assert old.values == {"summary": "kept", "risk": False}  # No is an answer, not an empty field
    assert listed(supervisor_client, "f_dialled_number=nu") == 0
    assert language_chart(supervisor_client) == {"(none)": 1}
