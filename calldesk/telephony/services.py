"""Reading a phone system's call and opening its draft report.

`read_call` only reads (the admins' URL tester uses it as it is); `open_call` reads and
writes the call and its draft. Views, the API and commands call these, never their own copy.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.callforms.setups import form_setup
from calldesk.lib.emails import normalise_email
from calldesk.lib.phones import PhoneReading, read_phone
from calldesk.lib.prepared import Prepared, insert, param
from calldesk.lib.times import read_call_start
from calldesk.reports import drafts
from calldesk.reports.drafts import withdraw_draft
from calldesk.reports.models import CallReport, Status
from calldesk.telephony.models import EXTERNAL_ID_MAX, Call, CallSource, PendingAnswer, PendingHangup
from calldesk.telephony.reading import (
    AgentCandidate,
    Placement,
    apply_mappings,
    fingerprint,
    looks_like_email,
    match_agent,
    read_params,
    storable,
)
from calldesk.telephony.signals import announce_call

REOPEN_WINDOW = timedelta(minutes=15)

# The two reads of every screen pop, compiled once. reportVer is unique per
# organization, so the form needs no ORDER BY.
_ACTIVE_FORM = Prepared(
    lambda organization_id, report_ver: CallForm.objects.filter(
        organization_id=organization_id, report_ver=report_ver, retired_at__isnull=True
    )[:1],
    organization_id=param(CallForm, "organization"),
    report_ver=param(CallForm, "report_ver"),
)
# open_call's lock on PostgreSQL (SQLite's BEGIN IMMEDIATE takes the database's write lock).
# FOR NO KEY UPDATE, like every turn the call's life takes (the organization's, the call's):
# it queues writers that take the same turn, yet lets other transactions' foreign-key checks
# (FOR KEY SHARE) through. A plain FOR UPDATE blocks them, and a pop (user, then the
# organization by its foreign key) and an API post (organization, then the user) deadlocked.
_LOCK_USER = Prepared(
    lambda pk: User.objects.select_for_update(no_key=True).filter(pk=pk).only("pk")[:1], pk=param(User, "id")
)
# The same URL from the same user within REOPEN_WINDOW: nearly always nothing, so only the id
# is read; the call and its draft are loaded when there is one.
_REOPENABLE = Prepared(
    lambda opened_by_id, fingerprint, since: (
        Call.objects.filter(
            opened_by_id=opened_by_id, fingerprint=fingerprint, received_at__gte=since, report__status=Status.DRAFT
        )
        .order_by("-received_at")
        .only("pk")[:1]
    ),
    opened_by_id=param(Call, "opened_by"),
    fingerprint=param(Call, "fingerprint"),
    since=param(Call, "received_at"),
)


class MissingReportVer(Exception):
    """The URL has no reportVer: the phone system is set up wrong (HTTP 400)."""


class UnknownForm(Exception):
    """No active form with this reportVer in this organization (HTTP 404, same for all causes)."""


@dataclass
class CallReading:
    """What a phone system's parameters mean, before anything is written."""

    form: CallForm
    revision: FormRevision
    agent: User | None
    agent_sent: str
    call_start: datetime
    phone: PhoneReading
    values: dict[str, Any]
    placements: list[Placement]
    unmapped: list[tuple[str, str]]
    notices: list[str]
    pairs: list[tuple[str, str]]
    fingerprint: str
    external_id: str = ""


def read_call(organization: Organization, pairs: list[tuple[str, str]], now: datetime | None = None) -> CallReading:
    now = now or timezone.now()
    params = read_params(pairs)
    report_ver = params.get("reportver")
    if not report_ver:
        raise MissingReportVer("The parameter reportVer is missing: it names the call report form to open.")
    form = _ACTIVE_FORM.first(organization_id=organization.pk, report_ver=report_ver)
    if form is None:
        raise UnknownForm(report_ver)
    form.organization = organization  # the caller's, already loaded: no join
    revision, rules = form_setup(form)
    zone = organization.zone
    notices: list[str] = list(params.warnings)

    agent_sent = params.get("agent")
    agent = find_agent(organization, agent_sent, notices)

    start = read_call_start(params.get("callstart") or None, zone, now)
    if start.problem:
        notices.append(start.problem)

    phone = read_phone(params.get("ani"), organization.phone_region)
    if phone.problem:
        notices.append(phone.problem)

    mapped = apply_mappings(params.others(), rules, revision.definition, zone, organization.phone_region)
    notices.extend(mapped.notices)
    return CallReading(
        form=form,
        revision=revision,
        agent=agent,
        agent_sent=agent_sent,
        call_start=start.when,
        phone=phone,
        values=mapped.values,
        placements=mapped.placements,
        unmapped=mapped.unmapped,
        notices=notices,
        pairs=params.pairs,
        fingerprint=fingerprint(params),
        external_id=params.get("callid")[:EXTERNAL_ID_MAX],
    )


def find_agent(organization: Organization, sent: str, notices: list[str]) -> User | None:
    if not sent.strip():
        return None
    users = User.objects.filter(organization=organization, is_active=True)
    value = storable(sent).strip()  # a NUL in a query parameter is an error on PostgreSQL
    # Emails are stored normalised; an exact match also folds letters SQLite's LIKE would not (É).
    lookup = Q(email=normalise_email(value)) if looks_like_email(value) else Q(agent_id=value)
    candidates = {u.pk: u for u in users.filter(lookup)[:5]}
    match = match_agent(value, [AgentCandidate(u.pk, u.email, u.agent_id) for u in candidates.values()])
    if match.problem:
        notices.append(match.problem)
    return candidates.get(match.user_id) if match.user_id is not None else None


@dataclass
class OpenedCall:
    call: Call
    report: CallReport
    reused: bool  # the same URL within 15 minutes, or a callId already recorded: the existing draft


def open_call(
    user: User,
    pairs: list[tuple[str, str]],
    source: CallSource = CallSource.URL,
    organization: Organization | None = None,
) -> OpenedCall:
    """The telephony URL: record the call and open its draft for the logged-in `user`, or reopen
    the draft of the same URL within 15 minutes, or of the same callId.

    `source=CallSource.API` with `organization` opens a draft without anyone logged in (`user`
    is the author of record when no agent resolves); the API itself goes through
    `lifecycle.record_call`, which also records calls without a draft and pushes them."""
    org = organization or user.organization
    assert org is not None, "a user without an organization cannot open calls"
    now = timezone.now()
    reading = read_call(org, pairs, now)
    if source == CallSource.URL and reading.agent is not None and reading.agent.pk != user.pk:
        # A shared desk, or a phone system that opened the URL on the wrong screen: the form says
        # so rather than quietly filing the call under the other specialist.
        reading.notices.append(
            f"This call was sent for {reading.agent.display_name} (agent `{reading.agent_sent}`); "
            f"{user.display_name} opened it."
        )
    with transaction.atomic():
        # One lock per user serialises a double-click: the second request sees the first's draft.
        # SQLite's transactions already take the database's one write lock at BEGIN (IMMEDIATE).
        if connection.features.has_select_for_update:
            _LOCK_USER.first(pk=user.pk)
        if source == CallSource.URL:
            # Nearly always nothing: look for the id alone, load the call and draft only if found.
            found = _REOPENABLE.first(opened_by_id=user.pk, fingerprint=reading.fingerprint, since=now - REOPEN_WINDOW)
            if found is not None:
                previous = Call.objects.select_related("report").get(pk=found.pk)
                return OpenedCall(previous, previous.report, reused=True)
        call, created = record(org, reading, source, opened_by=user if source == CallSource.URL else None)
        existing = None if created else CallReport.objects.filter(call=call).first()
        if source == CallSource.URL and not created:
            return _popped_again(org, call, existing, reading, user)
        if existing is not None:
            return OpenedCall(call, existing, reused=True)
        # A new call, or one the API recorded without a draft (nobody was resolved as its agent).
        author = reading.agent if source == CallSource.API and reading.agent else user
        report = start_draft(call, reading, author=author, agent=reading.agent, by=user)
        if source == CallSource.URL:
            # The supervisors' board shows it talking, answered by the specialist who opened it.
            announce_call(call, agent_id=report.agent_id or user.pk)
    return OpenedCall(call, report, reused=False)


def _popped_again(
    org: Organization, call: Call, existing: CallReport | None, reading: CallReading, user: User
) -> OpenedCall:
    """The telephony URL of a callId already recorded, opened by `user`: their answer.

    Their own draft of it opens again. Otherwise, while nobody else answered the call, it is
    theirs: a draft opened for another specialist is withdrawn and the draft is `user`'s. A call
    someone else answered (a transfer) or that ended gives `user` a call record of their own."""
    if existing is not None and user.pk in (existing.author_id, existing.agent_id):
        if call.answered_at is None and call.ended_at is None:
            call.answered_at, call.answered_by = timezone.now(), user
            call.save(update_fields=["answered_at", "answered_by"])
        return OpenedCall(call, existing, reused=True)
    locked = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
    theirs = locked.ended_at is None and locked.answered_by_id in (None, user.pk)
    if theirs and existing is not None:
        theirs = existing.status == Status.DRAFT and withdraw_draft(existing, user)
    if not theirs:
        own = replace(reading, external_id="")
        call, _ = record(org, own, CallSource.URL, opened_by=user)
        return OpenedCall(call, start_draft(call, own, author=user, agent=reading.agent, by=user), reused=False)
    if locked.answered_at is None:
        locked.answered_at = timezone.now()
    locked.answered_by = user
    locked.save(update_fields=["answered_at", "answered_by"])
    # Its Agent is who answered unless the URL names one (a pop's Agent is filled at the first save).
    report = start_draft(locked, reading, author=user, agent=reading.agent or user, by=user)
    # The consoles learn that it is talking, and whose it is now (the user's own browser has it).
    announce_call(locked)
    return OpenedCall(locked, report, reused=False)


def record(
    org: Organization, reading: CallReading, source: CallSource, opened_by: User | None = None
) -> tuple[Call, bool]:
    """The call `reading` describes, and whether it was recorded now: a callId this organization
    already has is that call. Call inside a transaction (the draft is written in the same one)."""
    if reading.external_id:
        # Calls and hang-ups with a callId take turns per organization, so a hang-up that arrives
        # while its call is being recorded either finds the call or is found by it.
        Organization.objects.select_for_update(no_key=True).filter(pk=org.pk).first()
        known = Call.objects.filter(organization=org, external_id=reading.external_id).first()
        if known is not None:
            return known, False
    try:
        # A savepoint: should another request record the same callId regardless (a caller that
        # did not take the lock), the unique constraint refuses this insert and the transaction
        # goes on with theirs. Without a callId nothing can collide: no savepoint, two queries less.
        with transaction.atomic() if reading.external_id else nullcontext():
            call = insert(
                Call(
                    organization=org,
                    form=reading.form,
                    revision=reading.revision,
                    opened_by=opened_by,
                    source=source,
                    params=[list(pair) for pair in reading.pairs],
                    unmapped=[list(pair) for pair in reading.unmapped],
                    notices=reading.notices,
                    resolved=reading.values,
                    fingerprint=reading.fingerprint,
                    external_id=reading.external_id,
                    # A telephony-URL pop is answered by the specialist whose browser opened it.
                    answered_at=timezone.now() if source == CallSource.URL else None,
                    answered_by=opened_by if source == CallSource.URL else None,
                )
            )
    except IntegrityError:
        if not reading.external_id:
            raise
        return Call.objects.get(organization=org, external_id=reading.external_id), False
    _join_pending_events(org, call)
    return call, True


def _join_pending_events(org: Organization, call: Call) -> None:
    """An answer or a hang-up that came before its call applies to the call now."""
    if not call.external_id:
        return
    answer = PendingAnswer.objects.filter(organization=org, external_id=call.external_id).first()
    if answer is not None:
        call.answered_at = answer.answered_at
        call.answered_by = find_agent(org, answer.agent, [])
        call.save(update_fields=["answered_at", "answered_by"])
        answer.delete()
    hangup = PendingHangup.objects.filter(organization=org, external_id=call.external_id).first()
    if hangup is not None:
        call.ended_at = hangup.ended_at
        call.end_reason = hangup.end_reason
        call.save(update_fields=["ended_at", "end_reason"])
        hangup.delete()


def start_draft(call: Call | None, reading: CallReading, author: User, agent: User | None, by: User) -> CallReport:
    """The draft report of `call`, pre-filled from `reading` (the reports app writes it); without a
    call, a draft no phone system announced (a follow-up's call back, calldesk.followups)."""
    return drafts.start_draft(
        call,
        organization_id=reading.form.organization_id,
        form=reading.form,
        revision=reading.revision,
        call_start=reading.call_start,
        # A withheld or junk number leaves Phone empty (the notice says why), so it never
        # blocks the specialist's submit as "not a phone number".
        phone_raw=reading.phone.raw[:200] if reading.phone.ok else "",
        phone_e164=reading.phone.e164,
        call_type=reading.revision.definition.default_call_type.key,
        values=reading.values,
        author=author,
        agent=agent,
        by=by,
    )
