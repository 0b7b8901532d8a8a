"""Calls that end without their source saying so (a lost hang-up, a node that died).

A telephony-URL pop never gets a hang-up, and a phone system or connector may lose one. Two
rules end such calls:

- submitting or closing a call's report ends the call, if no event ended it before (a draft
  closed as abandoned leaves the board and the consoles without ending its call);
- a call that has not ended `CALL_STALE_HOURS` after it arrived is over, cause *unknown*.

The second is a query, not a timer: the board, the dashboards and every serving process read
"still live" as "not ended and younger than the limit", so a restart or a second process sees
the same thing; `calldesk maintenance` then records those calls as ended.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from calldesk.telephony.models import Call
from calldesk.telephony.signals import announce_call

# The cause recorded for a call that outlived the limit (the name for a cause nobody sent).
STALE_CAUSE = "unknown"
# How a call its report ended is recorded (no hang-up came before the report was finished): it
# ended normally. The dashboards tell it from a phone system's hang-up by its time (not before
# the report was finished), calldesk.dashboards.answers.
REPORT_CAUSE = "normalClearing"


def stale_after() -> timedelta:
    return timedelta(hours=settings.CALL_STALE_HOURS)


def live_since(now: datetime | None = None) -> datetime:
    """Calls received before this moment and not ended are over, whatever their source says."""
    return (now or timezone.now()) - stale_after()


def live_calls(now: datetime | None = None) -> Q:
    """The calls still live (ringing or talking), as a filter on Call."""
    return Q(ended_at__isnull=True, received_at__gte=live_since(now))


def end_with_report(call_id: int | None, at: datetime | None = None) -> bool:
    """The call's report was submitted or closed: a call no event ended ends now, normally.
    Runs in a transaction of its own, after the report's, so the call's lock is never
    taken while the report's is held (an answer takes them the other way round). True if the
    call ended here."""
    if call_id is None:
        return False
    with transaction.atomic():
        call = Call.objects.select_for_update(no_key=True).filter(pk=call_id, ended_at__isnull=True).first()
        if call is None:
            return False
        call.ended_at = at or timezone.now()
        call.end_reason = REPORT_CAUSE
        call.save(update_fields=["ended_at", "end_reason"])
        announce_call(call)
    return True


def stale_calls(now: datetime | None = None) -> QuerySet[Call]:
    """Calls older than the limit that no event ended."""
    return Call.objects.filter(ended_at__isnull=True, received_at__lt=live_since(now))


def end_stale_calls(now: datetime | None = None) -> int:
    """Records every stale call as ended, cause *unknown*, at the moment it left the board (its
    arrival plus the limit). Safe to run twice at once: a call that ended meanwhile is skipped."""
    return stale_calls(now).update(ended_at=F("received_at") + stale_after(), end_reason=STALE_CAUSE)
