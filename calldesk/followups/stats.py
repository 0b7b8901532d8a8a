"""The dashboards' follow-up figures: per week (Monday to Sunday, in the organization's zone)
of their due time, how many fell due, are overdue now, were done on time, closed unreachable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from calldesk.accounts.models import Organization
from calldesk.followups.models import FollowUp, State
from calldesk.reports.search import day_range

# Done within this long after its due time counts as done on time.
ON_TIME = timedelta(days=1)


@dataclass
class Week:
    starts: date  # its Monday
    due: int = 0
    overdue: int = 0  # still open, past their due time
    on_time: int = 0  # the person reached no later than ON_TIME after the due time
    unreachable: int = 0


def weeks(organization: Organization, start: date, end: date, now: datetime | None = None) -> list[Week]:
    """Every week that touches [start, end], oldest first; follow-ups counted by due time."""
    now = now or timezone.now()
    zone = organization.zone
    lower, upper = day_range(start, end, zone)
    first = start - timedelta(days=start.weekday())
    found = {first + timedelta(weeks=n): None for n in range((end - first).days // 7 + 1)}
    table = {monday: Week(monday) for monday in found}
    rows = FollowUp.objects.filter(organization=organization, due_at__gte=lower, due_at__lt=upper).values_list(
        "due_at", "state", "closed_at"
    )
    for due_at, state, closed_at in rows.iterator():
        day = due_at.astimezone(zone).date()
        week = table[day - timedelta(days=day.weekday())]
        week.due += 1
        if state == State.OPEN and due_at <= now:
            week.overdue += 1
        elif state == State.DONE and closed_at is not None and closed_at <= due_at + ON_TIME:
            week.on_time += 1
        elif state == State.UNREACHABLE:
            week.unreachable += 1
    return list(table.values())
