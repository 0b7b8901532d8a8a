"""What the report editor's follow-up panel shows (followups/_editor_panel.html)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.followups import services
from calldesk.followups.forms import AttemptForm, ScheduleForm
from calldesk.followups.models import FollowUp, State
from calldesk.lib.prepared import Prepared, param
from calldesk.reports.models import CallReport
from calldesk.reports.services import can_view

# Read on every screen pop's editor (nearly always nothing): compiled once per process.
_OF_REPORT = Prepared(
    lambda report_id: FollowUp.objects.filter(report_id=report_id).select_related("assignee").order_by("due_at", "id"),
    report_id=param(FollowUp, "report"),
)


def panel_context(user: User, report: CallReport) -> dict[str, Any]:
    """The report's follow-ups this user may see, the form to schedule one (where the form
    offers it for the report's call type), and, on a draft "Call now" opened, the attempt it is."""
    if not can_view(user, report):
        return {"shown": False}
    follow_ups = [item for item in _OF_REPORT.all(report_id=report.pk) if services.can_see(user, item)]
    now = timezone.now()
    for item in follow_ups:
        item.overdue = item.state == State.OPEN and item.due_at <= now  # type: ignore[attr-defined]
    # Only a "Call now" draft is an attempt, and it has no call of its own: a screen pop's draft
    # (the editor's most frequent page) skips the query.
    pending = services.pending_attempt(report) if report.call_id is None else None
    if pending is not None and not services.can_see(user, pending.follow_up):
        pending = None
    offered = services.offers_follow_ups(report)
    form = None
    if offered:
        zone = report.organization.zone
        # A specialist gives it to themselves or the pool here (the editor runs on every screen
        # pop: no list of every person); supervisors, and the full page, offer everyone.
        people = list(services.assignable(user)) if user.is_supervisor else [user]
        form = ScheduleForm(people=people, zone=zone, initial={"assignee": str(user.public_id)})
    return {
        "shown": True,
        "report": report,
        "follow_ups": follow_ups,
        "pending": pending,
        "pending_number": pending.follow_up.attempts.exclude(outcome="").count() + 1 if pending else 0,
        "attempt_form": AttemptForm(),
        "schedule_form": form,
        "offered": offered,
    }
