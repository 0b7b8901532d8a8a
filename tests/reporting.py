"""Helpers for tests that open a call and post the editor's form as the browser does."""

from __future__ import annotations

from typing import Any

from django.test import Client

from calldesk.reports.models import CallReport
from tests.cast import FORM_A_DEFINITION

EXAMPLE = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&dnis=8886201111&language=112211"
JSON = {"HTTP_ACCEPT": "application/json"}
# Form 9991234 with a field of every type (publish it as a new revision).
EVERY_TYPE: list[dict[str, Any]] = [
    *FORM_A_DEFINITION["fields"],
    {"key": "nickname", "label": "Nickname", "type": "text"},
    {"key": "age", "label": "Age", "type": "number"},
    {"key": "topics", "label": "Topics", "type": "multi_choice", "choices": ["Housing", "Food"]},
    {"key": "born", "label": "Born", "type": "date"},
    {"key": "follow_up", "label": "Follow-up", "type": "datetime"},
    {"key": "callback", "label": "Call-back number", "type": "phone", "personal": True},
    {"key": "email", "label": "Email", "type": "email"},
]


def open_draft(client: Client, url: str = EXAMPLE) -> CallReport:
    response = client.get(url)
    assert response.status_code == 303, response.content[:500]
    public_id = response["Location"].strip("/").split("/")[-1]
    return CallReport.objects.get(public_id=public_id)


def editor_data(report: CallReport, **changes: Any) -> dict[str, Any]:
    """The editor's form as the page would post it, with `changes` applied (f_<key> for fields)."""
    report.refresh_from_db()
    zone = report.organization.zone
    data: dict[str, Any] = {
        "version": report.version,
        "agent": str(report.agent.public_id) if report.agent else "",
        "call_start": report.call_start.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"),
        "phone": report.phone_raw,
        "call_type": report.call_type,
    }
    for key, value in report.values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        data[f"f_{key}"] = value
    data.update(changes)
    return data
