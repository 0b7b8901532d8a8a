"""Repeat callers: the caller's earlier calls to this organization, by normalised number."""

from __future__ import annotations

from dataclasses import dataclass

from calldesk.accounts.models import User
from calldesk.reports.models import CallReport
from calldesk.reports.services import can_view

SHOWN = 10


@dataclass
class EarlierCalls:
    count: int
    calls: list[tuple[CallReport, bool]]  # (report, this user may open it)


def earlier_calls(user: User, report: CallReport) -> EarlierCalls:
    """Nothing for a withheld number; never across organizations. `report` is as stored (the
    editor loads it), so it is itself one of the calls from its number."""
    if not report.phone_e164:
        return EarlierCalls(0, [])
    same_number = CallReport.objects.filter(organization_id=report.organization_id, phone_e164=report.phone_e164)
    # Counted with the report itself, then taken off: a condition on the id would make
    # PostgreSQL read every row of the number from the table, a frequent caller's thousands,
    # where the count alone is answered from report_repeat_caller_idx (an index-only scan).
    count = same_number.count() - (1 if report.pk is not None else 0)
    shown = list(same_number.exclude(pk=report.pk).select_related("agent").order_by("-call_start")[:SHOWN])
    return EarlierCalls(max(count, 0), [(item, can_view(user, item)) for item in shown])
