"""A report and its history as people read them: labels, the organization's time, yes/no in
words, choices joined, and only the changes someone made (who, when, what)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from calldesk.callforms import codecs
from calldesk.callforms.definition import Definition, FieldDef
from calldesk.lib.urls import uuid_url
from calldesk.reports.models import CallReport

SHOWN_MOMENT = "%Y-%m-%d %H:%M:%S"
BUILTIN_LABELS = {
    "agent": "Agent",
    "call_start": "Call start",
    "phone_raw": "Phone",
    "call_type": "Call type",
}
# The E.164 reading follows the number as sent: a history row of its own would say the same twice.
HIDDEN_IN_HISTORY = ("phone_e164",)


def local_moment(stored: Any, zone: ZoneInfo) -> str:
    """A stored moment (an ISO-8601 text or a datetime, in UTC) in the organization's zone,
    to the second; a text that is not a moment comes back as it is."""
    if isinstance(stored, str):
        try:
            stored = datetime.fromisoformat(stored)
        except ValueError:
            return stored
    if not isinstance(stored, datetime):
        return "" if stored is None else str(stored)
    if stored.tzinfo is None:  # stored values are UTC; a naive one is read as such
        stored = stored.replace(tzinfo=ZoneInfo("UTC"))
    return stored.astimezone(zone).strftime(SHOWN_MOMENT)


def readable(item: FieldDef | None, stored: Any, zone: ZoneInfo) -> str:
    """A custom field's stored value as the report view and history show it."""
    return codecs.show(item.type if item is not None else None, stored, zone)


def call_type_label(definition: Definition, key: str | None) -> str:
    found = definition.call_type(key or "")
    return found.label if found else (key or "")


def report_rows(report: CallReport) -> list[tuple[str, Any]]:
    """Label and shown value of every field, as the report's own revision defines them."""
    zone = report.organization.zone
    definition = report.revision.definition
    rows: list[tuple[str, Any]] = [
        ("Agent", report.agent.display_name if report.agent else ""),
        ("Call start", report.call_start.astimezone(zone).strftime(SHOWN_MOMENT + " %Z")),
        ("Phone", report.phone_raw),
        ("Call type", call_type_label(definition, report.call_type)),
    ]
    for item in definition.fields:
        rows.append((item.label, readable(item, report.values.get(item.key), zone)))
    return rows


def change_rows(report: CallReport, changes: dict[str, list[Any]]) -> list[tuple[str, str, str]]:
    """A history entry's changes as (label, before, after), labelled by the report's revision.
    A change that reads the same before and after (entries recorded before the save path
    compared call starts to the second, or `[]` against nothing) is no change and not shown."""
    definition = report.revision.definition
    zone = report.organization.zone
    rows = []
    for key, pair in changes.items():
        if key in HIDDEN_IN_HISTORY or not isinstance(pair, list) or len(pair) != 2:
            continue
        field = definition.field(key)
        before, after = (_shown(key, field, definition, value, zone) for value in pair)
        if before != after:
            rows.append((BUILTIN_LABELS.get(key) or (field.label if field else key), before, after))
    return rows


def _shown(key: str, field: FieldDef | None, definition: Definition, value: Any, zone: ZoneInfo) -> str:
    if key == "call_start":
        return local_moment(value, zone)
    if key == "call_type":
        return call_type_label(definition, value)
    if key in BUILTIN_LABELS:  # agent (stored as the name) and phone (as sent)
        return "" if value is None else str(value)
    return readable(field, value, zone)


@dataclass
class CallRecord:
    """The call a report came from, as admins read it to set up mappings."""

    source: str
    received_at: str
    sent: list[tuple[str, str]]  # every parameter as sent, in order
    unmapped: list[tuple[str, str]]  # those no mapping knows
    resolved: list[tuple[str, str]]  # (field label, value) the mappings put on the form
    notices: list[str]
    mappings_url: str


def call_record(report: CallReport) -> CallRecord | None:
    call = report.call
    if call is None:
        return None
    zone = report.organization.zone
    definition = call.revision.definition
    resolved = []
    for key, value in (call.resolved or {}).items():
        field = definition.field(key)
        resolved.append((field.label if field else key, readable(field, value, zone)))
    return CallRecord(
        source=call.get_source_display(),
        received_at=local_moment(call.received_at, zone),
        sent=call.sent_pairs(),
        unmapped=[(str(name), str(value)) for name, value in call.unmapped],
        resolved=resolved,
        notices=[str(notice) for notice in call.notices],
        mappings_url=uuid_url("configure-mappings", public_id=report.form.public_id),
    )
