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
from calldesk.reports.services import can_view, may_have

# Read on every screen pop's editor (nearly always nothing): compiled once per process.
_OF_REPORT = Prepared(
    lambda report_id: FollowUp.objects.filter(report_id=report_id).select_related("assignee").order_by("due_at", "id"),
    report_id=param(FollowUp, "report"),
)


# Set on a report read by the report pages (reports.services.REPORT_FLAGS, apps.py).
FLAG = "has_follow_ups"


def schedule_form(user: User, report: CallReport, data: Any = None) -> ScheduleForm:
    """The form that schedules a follow-up of the report: on its own page and, once the
    specialist opens it, in the editor's panel."""
    people = list(services.assignable(user))
    return ScheduleForm(data, people=people, zone=report.organization.zone, initial={"assignee": str(user.public_id)})


def panel_context(user: User, report: CallReport) -> dict[str, Any]:
    """The report's follow-ups this user may see, whether the form offers them for the report's
    call type, and, on a draft "Call now" opened, the attempt it is.

    The schedule form itself is not here: the editor is the page every screen pop lands on, few
    calls schedule a follow-up, and rendering the form's widgets cost more than the rest of the
    page's panels together. The panel fetches it when the specialist opens "Schedule a follow-up"
    (and links to its own page without the script)."""
    if not can_view(user, report):
        return {"shown": False}
    found = _OF_REPORT.all(report_id=report.pk) if may_have(report, FLAG) else []
    follow_ups = [item for item in found if services.can_see(user, item)]
    now = timezone.now()
    for item in follow_ups:
        item.overdue = item.state == State.OPEN and item.due_at <= now  # type: ignore[attr-defined]
    # Only a "Call now" draft is an attempt, and it has no call of its own: a screen pop's draft
    # (the editor's most frequent page) skips the query.
    pending = services.pending_attempt(report) if report.call_id is None else None
    if pending is not None and not services.can_see(user, pending.follow_up):
        pending = None
    return {
        "shown": True,
        "report": report,
        "follow_ups": follow_ups,
        "pending": pending,
        "pending_number": pending.follow_up.attempts.exclude(outcome="").count() + 1 if pending else 0,
        "attempt_outcomes": AttemptForm.base_fields["outcome"].choices,  # type: ignore[attr-defined]
        "offered": services.offers_follow_ups(report),
    }
