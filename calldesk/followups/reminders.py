"""What the console reminds its owner of: their follow-ups (and the pool's) that are due.

Found by a query each time the console's stream asks (calldesk.push.reminders), never by a
timer: any serving process, after any restart, sees the same due follow-ups.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from calldesk.followups.models import FollowUp, State
from calldesk.push.events import Viewer
from calldesk.push.reminders import Reminder

SHOWN = 20


def _open_for(viewer: Viewer) -> Any:
    return FollowUp.objects.filter(
        Q(assignee_id=viewer.user_id) | Q(assignee__isnull=True),
        organization_id=viewer.organization_id,
        state=State.OPEN,
    )


def due_for_console(viewer: Viewer, now: datetime) -> Reminder:
    """The due follow-ups, soonest first (no caller data: when, how, which form, where to go),
    and when the next one falls due."""
    due = list(
        _open_for(viewer)
        .filter(due_at__lte=now)
        .select_related("form", "organization")
        .only("public_id", "due_at", "method", "assignee_id", "form__name", "organization__time_zone")
        .order_by("due_at", "id")[: SHOWN + 1]
    )
    following = _open_for(viewer).filter(due_at__gt=now).order_by("due_at").values_list("due_at", flat=True).first()
    items = [
        {
            "id": str(item.public_id),
            "dueAt": item.due_at.isoformat(),
            # As every page shows times: in the organization's zone, not the browser's.
            "due": item.due_at.astimezone(item.organization.zone).strftime("%Y-%m-%d %H:%M"),
            "method": item.get_method_display(),
            "form": item.form.name,
            "pool": item.assignee_id is None,
            "url": item.get_absolute_url(),
        }
        for item in due[:SHOWN]
    ]
    return Reminder({"due": items, "more": len(due) > SHOWN}, empty=not items, wake_at=following)
