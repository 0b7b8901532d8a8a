"""A call's life after it was recorded: answered, then hung up.

The API's calls and hang-ups and the Zammad-compatible CTI events all come through here;
every change is pushed to the consoles with `announce_call`. A call that ended never goes
back to ringing or talking, and a late or repeated event changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from calldesk.accounts.models import Organization, User
from calldesk.reports.drafts import withdraw_draft
from calldesk.reports.models import CallReport, Status
from calldesk.telephony.causes import ANSWERED_ELSEWHERE, read_cause
from calldesk.telephony.models import END_REASON_MAX, EXTERNAL_ID_MAX, Call, CallSource, PendingAnswer, PendingHangup
from calldesk.telephony.reading import storable
from calldesk.telephony.services import (
    MissingReportVer,
    UnknownForm,
    find_agent,
    read_call,
    record,
    start_draft,
)
from calldesk.telephony.signals import announce_call

# An answer or hang-up kept for a callId waits this long for its call (`calldesk maintenance`).
PENDING_EVENTS_KEPT = timedelta(days=1)


def known_cause(sent: str) -> str:
    """The cause as supervisors read it (calldesk.telephony.causes), storable as it is."""
    return read_cause(storable(sent))[:END_REASON_MAX]


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
        # An answer that came before the call named who took it: the draft is theirs.
        owner = call.answered_by or reading.agent
        if owner is not None:
            report = start_draft(call, reading, author=owner, agent=owner, by=owner)
        announce_call(call, pop_for=owner if report is not None else None)
    return RecordedCall(call, report, created=True)


def answer_call(call: Call, user: User | None, at: datetime | None = None) -> CallReport | None:
    """`user` took the call at `at` (default now): it is talking from then on, and its draft is
    theirs.

    The first answer counts: it sets when, and who when the source named someone. The answerer
    gets the call's draft: a draft opened for another specialist (the first phone a ringall queue
    rang) is withdrawn, closed as answered elsewhere, and the answerer's is opened and pushed to
    their console. A repeated or later answer changes nothing; an ended call stays ended."""
    at = at or timezone.now()
    with transaction.atomic():
        # No key update: the drafts and console events written below check their foreign key
        # to this row, and a plain FOR UPDATE would make other transactions' checks wait.
        locked = (
            Call.objects.select_for_update(no_key=True, of=("self",)).select_related("organization").get(pk=call.pk)
        )
        report = CallReport.objects.filter(call=locked).first()
        if locked.ended_at is not None:
            return report
        changed: list[str] = []
        if locked.answered_at is None:
            locked.answered_at = at
            changed.append("answered_at")
        if user is not None and locked.answered_by_id is None:
            locked.answered_by = user
            changed.append("answered_by")
        if changed:
            locked.save(update_fields=changed)
        handed = False
        if user is not None and locked.answered_by_id == user.pk:
            if report is None:
                report = _draft_from_record(locked, user)
                handed = report is not None
            elif report.status == Status.DRAFT and user.pk not in (report.author_id, report.agent_id):
                if withdraw_draft(report, user):
                    report = _draft_from_record(locked, user)
                    handed = True
        if changed or handed:
            # The draft opens in the answering specialist's console when it is theirs now.
            theirs = user is not None and report is not None and report.author_id == user.pk
            announce_call(locked, pop_for=user if theirs and handed else None)
    call.answered_at, call.answered_by = locked.answered_at, locked.answered_by
    return report


def answer_by_call_id(org: Organization, external_id: str, agent: str, at: datetime) -> Call | None:
    """The answer of the call with this callId, by the agent sent (an email address or agent ID,
    read like `agent`); when no such call was recorded yet, the answer is kept (the first one
    counts) and applied when the call arrives. None: kept for later."""
    agent = storable(agent).strip()[:EXTERNAL_ID_MAX]  # Zammad's answeringNumber has no limit of its own
    with transaction.atomic():
        # The turn `record` takes: the call is either here now or will find this answer.
        Organization.objects.select_for_update(no_key=True).filter(pk=org.pk).first()
        call = Call.objects.filter(organization=org, external_id=external_id).select_related("organization").first()
        if call is None:
            PendingAnswer.objects.get_or_create(
                organization=org, external_id=external_id, defaults={"answered_at": at, "agent": agent}
            )
            return None
    answer_call(call, find_agent(org, agent, []), at)
    return call


def _draft_from_record(call: Call, user: User) -> CallReport | None:
    """The draft the call would have had, read again from its recorded parameters, as of when
    it arrived (its call start stays the ring time, not the answer time)."""
    try:
        reading = read_call(call.organization, call.sent_pairs(), now=call.received_at)
    except (MissingReportVer, UnknownForm):
        return None  # the form was retired in between; the call stays recorded
    return start_draft(call, reading, author=user, agent=user, by=user)


def hang_up(call: Call, cause: str, ended_at: datetime) -> bool:
    """The call ended at `ended_at` for `cause`; False if it had ended already (nothing changes).

    `answeredElsewhere` is not an end: one phone of a forked or ringall ring stopped because
    another phone took the call, which goes on there. The call is answered (talking) from
    then; its end comes with a later hang-up or its report."""
    if known_cause(cause) == ANSWERED_ELSEWHERE:
        answer_call(call, None, ended_at)
        return False
    with transaction.atomic():
        locked = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
        if locked.ended_at is not None:
            call.ended_at, call.end_reason = locked.ended_at, locked.end_reason
            return False
        locked.ended_at = ended_at
        locked.end_reason = known_cause(cause)
        locked.save(update_fields=["ended_at", "end_reason"])
        announce_call(locked)
    call.ended_at, call.end_reason = locked.ended_at, locked.end_reason
    return True


def hang_up_by_call_id(org: Organization, external_id: str, cause: str, ended_at: datetime) -> Call | None:
    """The hang-up of the call with this callId; when no such call was recorded yet, the hang-up
    is kept (the first one counts) and joins the call when it arrives. None: kept for later."""
    if known_cause(cause) == ANSWERED_ELSEWHERE:  # not an end (see hang_up)
        return answer_by_call_id(org, external_id, "", ended_at)
    with transaction.atomic():
        # The same turn `record` takes: the call is either here now or will find this hang-up.
        Organization.objects.select_for_update(no_key=True).filter(pk=org.pk).first()
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


def forget_pending_events(now: datetime | None = None) -> int:
    """Delete the answers and hang-ups kept longer than PENDING_EVENTS_KEPT for calls that never
    came; how many."""
    cutoff = (now or timezone.now()) - PENDING_EVENTS_KEPT
    answers, _ = PendingAnswer.objects.filter(received_at__lt=cutoff).delete()
    hangups, _ = PendingHangup.objects.filter(received_at__lt=cutoff).delete()
    return answers + hangups
