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
    """Nothing for a withheld number; never across organizations."""
    if not report.phone_e164:
        return EarlierCalls(0, [])
    earlier = CallReport.objects.filter(organization_id=report.organization_id, phone_e164=report.phone_e164).exclude(
        pk=report.pk
    )
    count = earlier.count()
    shown = list(earlier.select_related("agent").order_by("-call_start")[:SHOWN])
    return EarlierCalls(count, [(item, can_view(user, item)) for item in shown])
