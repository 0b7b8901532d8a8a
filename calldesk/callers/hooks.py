"""Where caller profiles join other apps' work without those apps importing this one: the
console's description of a pushed call, and the nightly retention."""

from __future__ import annotations

from typing import Any


def describe_caller(call: Any, report: Any) -> dict[str, Any]:
    """The caller's block and active alerts for a pushed call (its draft's number)."""
    from calldesk.callers.services import pop_view

    if report is None or not report.phone_hash:
        return {}
    return pop_view(report.organization_id, report.phone_hash).as_data()


def connect() -> None:
    from calldesk.callers.retention import blank_profiles
    from calldesk.push import events
    from calldesk.reports import retention

    if describe_caller not in events.CALL_DESCRIBERS:
        events.CALL_DESCRIBERS.append(describe_caller)
    if blank_profiles not in retention.RETENTION_HOOKS:
        retention.RETENTION_HOOKS.append(blank_profiles)
