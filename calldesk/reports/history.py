"""Repeat callers: the caller's earlier calls to this organization, by normalised number."""

from __future__ import annotations

from dataclasses import dataclass

from calldesk.accounts.models import User
from calldesk.lib.crypto import phone_hash
from calldesk.reports.models import CallReport
from calldesk.reports.services import can_view

SHOWN = 10
# Counting stops here: a number that called more often (a frequent caller, a shared line) would
# otherwise cost a count of tens of thousands of index entries on every screen pop.
COUNT_CAP = 1000


@dataclass
class EarlierCalls:
    count: int  # at most COUNT_CAP
    calls: list[tuple[CallReport, bool]]  # (report, this user may open it)
    more: bool = False  # more than COUNT_CAP earlier calls


def earlier_calls(user: User, report: CallReport) -> EarlierCalls:
    """Nothing for a withheld number; never across organizations. `report` is as stored (the
    editor loads it), so it is itself one of the calls from its number."""
    if not report.phone_e164:
        return EarlierCalls(0, [])
    # By the keyed hash: the number itself is sealed at rest.
    same_number = CallReport.objects.filter(
        organization_id=report.organization_id, phone_hash=phone_hash(report.phone_e164)
    )
    # Counted with the report itself, then taken off: a condition on the id would make
    # PostgreSQL read every row of the number from the table, a frequent caller's thousands,
    # where the count alone is answered from report_repeat_caller_idx (an index-only scan).
    counted = same_number[: COUNT_CAP + 2].count() - (1 if report.pk is not None else 0)
    # The box shows when, the status and the agent: the sealed columns are not read or opened.
    shown = list(
        same_number.exclude(pk=report.pk)
        .select_related("agent")
        .defer("phone_raw", "phone_e164", "values")
        .order_by("-call_start")[:SHOWN]
    )
    calls = [(item, can_view(user, item)) for item in shown]
    return EarlierCalls(min(max(counted, 0), COUNT_CAP), calls, more=counted > COUNT_CAP)
