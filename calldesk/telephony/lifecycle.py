"""A call's life after it was recorded: answered, then hung up (SPEC §6).

The API's calls and hang-ups and the Zammad-compatible CTI events all come through here;
every change is pushed to the consoles with `publish_call`. A call that ended never goes
back to ringing or talking, and a late or repeated event changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from calldesk.accounts.models import Organization, User
from calldesk.push.services import publish_call
from calldesk.reports.models import CallReport, Status
from calldesk.telephony.models import Call, CallSource, PendingHangup
from calldesk.telephony.reading import storable
from calldesk.telephony.services import MissingReportVer, UnknownForm, read_call, record, start_draft

# The hang-up causes of SPEC §6, which are also Zammad's generic CTI causes, as spelled there.
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")
_CAUSES_BY_FOLDED = {cause.casefold(): cause for cause in CAUSES}


def known_cause(sent: str) -> str:
    """The cause as SPEC §6 spells it (`NOANSWER` → `noAnswer`); any other value as sent."""
    value = storable(sent).strip()
    return _CAUSES_BY_FOLDED.get(value.casefold(), value)


@dataclass
class RecordedCall:
    call: Call
    report: CallReport | None
    created: bool  # False: the callId was recorded before, this is that call


def record_call(org: Organization, pairs: list[tuple[str, str]]) -> RecordedCall:
    """A phone system's call posted to the API: recorded, with a draft for its agent when the
    agent resolves to exactly one user; a callId seen before answers with that call."""
    reading = read_call(org, pairs)
    with transaction.atomic():
        call, created = record(org, reading, CallSource.API)
        if not created:
            return RecordedCall(call, CallReport.objects.filter(call=call).first(), created=False)
        report = None
        if reading.agent is not None:
            report = start_draft(call, reading, author=reading.agent, agent=reading.agent, by=reading.agent)
        publish_call(call, pop_for=reading.agent if report is not None else None)
    return RecordedCall(call, report, created=True)


def answer_call(call: Call, user: User | None, now: datetime | None = None) -> CallReport | None:
    """`user` took the call: it is talking from now on, and its draft is theirs.

    A call without a draft gets one for `user`; a draft nobody has saved yet moves to `user`
    (the phone system named someone else, a colleague picked up). An ended call stays ended."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Call.objects.select_for_update().select_related("organization").get(pk=call.pk)
        report = CallReport.objects.filter(call=locked).first()
        if locked.ended_at is not None:
            return report
        changed = False
        if locked.answered_at is None:
            locked.answered_at = now
            locked.save(update_fields=["answered_at"])
            changed = True
        if user is not None:
            if report is None:
                report = _draft_from_record(locked, user)
                changed = changed or report is not None
            elif report.status == Status.DRAFT and report.version == 1 and report.author_id != user.pk:
                report.author = user
                report.agent = user
                report.save(update_fields=["author", "agent", "updated_at"])
                changed = True
        if changed:
            # The draft opens in the answering specialist's console when it is theirs now.
            theirs = user is not None and report is not None and report.author_id == user.pk
            publish_call(locked, pop_for=user if theirs else None)
    call.answered_at = locked.answered_at
    return report


def _draft_from_record(call: Call, user: User) -> CallReport | None:
    """The draft the call would have had, read again from its recorded parameters, as of when
    it arrived (its call start stays the ring time, not the answer time)."""
    try:
        reading = read_call(call.organization, call.sent_pairs(), now=call.received_at)
    except (MissingReportVer, UnknownForm):
        return None  # the form was retired in between; the call stays recorded
    return start_draft(call, reading, author=user, agent=user, by=user)


def hang_up(call: Call, cause: str, ended_at: datetime) -> bool:
    """The call ended at `ended_at` for `cause`; False if it had ended already (nothing changes)."""
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if locked.ended_at is not None:
            call.ended_at, call.end_reason = locked.ended_at, locked.end_reason
            return False
        locked.ended_at = ended_at
        locked.end_reason = known_cause(cause)
        locked.save(update_fields=["ended_at", "end_reason"])
        publish_call(locked)
    call.ended_at, call.end_reason = locked.ended_at, locked.end_reason
    return True


def hang_up_by_call_id(org: Organization, external_id: str, cause: str, ended_at: datetime) -> Call | None:
    """The hang-up of the call with this callId; when no such call was recorded yet, the hang-up
    is kept (the first one counts) and joins the call when it arrives. None: kept for later."""
    with transaction.atomic():
        # The same turn `record` takes: the call is either here now or will find this hang-up.
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        call = Call.objects.filter(organization=org, external_id=external_id).first()
        if call is None:
            PendingHangup.objects.get_or_create(
                organization=org,
                external_id=external_id,
                defaults={"ended_at": ended_at, "end_reason": known_cause(cause)},
            )
            return None
    hang_up(call, cause, ended_at)
    return call
