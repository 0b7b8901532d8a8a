"""Repeat callers: the caller's earlier calls to this organization, by normalised number."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from calldesk.accounts.models import User
from calldesk.lib.crypto import phone_hash
from calldesk.lib.prepared import Prepared, param
from calldesk.reports.models import CallReport, Status
from calldesk.reports.services import can_view

SHOWN = 10
_STATUS_LABELS = dict(Status.choices)
# Counting stops here: a number that called more often (a frequent caller, a shared line) would
# otherwise cost a count of tens of thousands of index entries on every screen pop.
COUNT_CAP = 1000


@dataclass
class EarlierCalls:
    count: int  # at most COUNT_CAP
    calls: list[tuple[CallReport, bool]]  # (report, this user may open it)
    more: bool = False  # more than COUNT_CAP earlier calls


def _same_number(organization_id: int, number_hash: str) -> QuerySet[CallReport]:
    # By the keyed hash: the number itself is sealed at rest.
    return CallReport.objects.filter(organization_id=organization_id, phone_hash=number_hash)


# The newest calls from the number, the report itself among them (taken off in Python: a
# condition on the id would not let an index give the newest rows first). Compiled once: it runs
# on every screen pop.
# Ordered by the hash too (one value here, so the same rows): only report_repeat_caller_idx
# gives that order, so PostgreSQL reads the number's own rows whatever its statistics say. With
# the order by call time alone, a prepared statement's generic plan on a table analysed while
# it was small walked the whole organization's reports by time (3.8 ms a pop in the benchmark).
_NEWEST = Prepared(
    lambda organization_id, number_hash: (
        _same_number(organization_id, number_hash)
        .select_related("agent")
        # What the box shows (when, status, agent) and can_view reads: no sealed column is read.
        .only("public_id", "organization_id", "author_id", "call_start", "status", "agent__name", "agent__email")
        .order_by("-phone_hash", "-call_start")[: SHOWN + 1]
    ),
    organization_id=param(CallReport, "organization"),
    number_hash=param(CallReport, "phone_hash"),
)


def earlier_calls(user: User, report: CallReport) -> EarlierCalls:
    """Nothing for a withheld number; never across organizations. `report` is as stored (the
    editor loads it), so it is itself one of the calls from its number."""
    if not report.phone_e164:
        return EarlierCalls(0, [])
    number_hash = phone_hash(report.phone_e164)
    newest = _NEWEST.all(organization_id=report.organization_id, number_hash=number_hash)
    shown = [item for item in newest if item.pk != report.pk][:SHOWN]
    for item in shown:
        # The label as the box shows it, looked up here: get_status_display, called per row in
        # the template, rebuilt the choices each time (a tenth of a frequent caller's extra cost).
        item.status_label = _STATUS_LABELS.get(item.status, item.status)  # type: ignore[attr-defined]
    calls = [(item, can_view(user, item)) for item in shown]
    if len(newest) <= SHOWN:
        # Every call from the number is in hand (nearly every pop: most numbers call rarely).
        counted = len(shown)
    else:
        counted = _count(report, number_hash)
    return EarlierCalls(min(counted, COUNT_CAP), calls, more=counted > COUNT_CAP)


# The capped count, as the ORM writes `_same_number(...)[:n].count()`, kept as SQL: building
# and compiling that query took a millisecond of each frequent caller's pop, more than the
# database's index-only scan of a thousand entries.
_COUNT_SQL = (
    "SELECT COUNT(*) FROM (SELECT 1 FROM reports_callreport"
    " WHERE organization_id = %s AND phone_hash = %s LIMIT %s) AS capped"
)


def _count(report: CallReport, number_hash: str) -> int:
    # Counted with the report itself, then taken off: a condition on the id would make
    # PostgreSQL read every row of the number from the table, a frequent caller's thousands,
    # where the count alone is answered from report_repeat_caller_idx (an index-only scan).
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [report.organization_id, number_hash, COUNT_CAP + 2])
        (counted,) = cursor.fetchone()
    return max(int(counted) - (1 if report.pk is not None else 0), 0)
