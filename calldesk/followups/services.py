"""Scheduling, doing and closing follow-ups. Pages, the API and commands call these verbs.

Every step is written in the original report's history (a `follow_up` entry), in the same
transaction as the step itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.callforms.definition import Definition
from calldesk.callforms.setups import form_setup
from calldesk.followups.models import REASON_MAX, Attempt, FollowUp, Method, Outcome, State
from calldesk.lib import limits
from calldesk.lib.times import year_problem
from calldesk.reports.models import CallReport, ReportChange
from calldesk.reports.services import can_view
from calldesk.telephony.services import UnknownForm, read_call, start_draft

# The label of a follow-up's entries in the report's history (never a field key: those are lower-case).
HISTORY_LABEL = "Follow-up"


class FollowUpRefused(ValueError):
    """The step cannot be taken; the message says why, as a person reads it."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- who sees what ---------------------------------------------------------------------------


def visible_follow_ups(user: User) -> QuerySet[FollowUp]:
    """Supervisors: the organization's. Specialists: theirs, the pool's, and those they scheduled."""
    if user.organization_id is None or not user.is_active:
        return FollowUp.objects.none()
    found = FollowUp.objects.filter(organization_id=user.organization_id)
    if user.is_supervisor:
        return found
    return found.filter(Q(assignee=user) | Q(assignee__isnull=True) | Q(created_by=user))


def can_see(user: User, follow_up: FollowUp) -> bool:
    if user.organization_id != follow_up.organization_id or not user.is_active:
        return False
    return user.is_supervisor or follow_up.assignee_id in (None, user.pk) or follow_up.created_by_id == user.pk


def mine(user: User) -> QuerySet[FollowUp]:
    """ "My follow-ups": the open ones assigned to `user` and the pool's, soonest due first."""
    if user.organization_id is None:
        return FollowUp.objects.none()
    return FollowUp.objects.filter(
        Q(assignee=user) | Q(assignee__isnull=True), organization_id=user.organization_id, state=State.OPEN
    ).order_by("due_at", "id")


def overdue_count(user: User, now: datetime | None = None) -> int:
    """The menu's count: `user`'s open follow-ups (and the pool's) whose due time has passed."""
    return mine(user).filter(due_at__lte=now or timezone.now()).count()


def overdue_by_organization(now: datetime | None = None) -> dict[str, int]:
    """Open follow-ups past their due time, per organization slug (`calldesk maintenance` says so)."""
    rows = (
        FollowUp.objects.filter(state=State.OPEN, due_at__lte=now or timezone.now())
        .values_list("organization__slug")
        .annotate(n=Count("id"))
        .order_by("organization__slug")
    )
    return dict(rows)


# --- the form's settings ---------------------------------------------------------------------


def current_definition(report: CallReport) -> Definition:
    """The form's settings as they are now (a form may stop offering follow-ups later)."""
    revision, _ = form_setup(report.form)
    return revision.definition


def offers_follow_ups(report: CallReport) -> bool:
    return current_definition(report).offers_follow_ups(report.call_type)


def assignable(user: User) -> QuerySet[User]:
    """Whom a follow-up may be given to: the organization's active people."""
    if user.organization_id is None:
        return User.objects.none()
    return User.objects.filter(organization_id=user.organization_id, is_active=True).order_by("name", "email")


# --- verbs -----------------------------------------------------------------------------------


def _history(report_id: int, by: User | None, text: str) -> None:
    version = CallReport.objects.filter(pk=report_id).values_list("version", flat=True).first() or 1
    ReportChange.objects.create(
        report_id=report_id,
        user=by,
        action=ReportChange.Action.FOLLOW_UP,
        changes={HISTORY_LABEL: [None, text]},
        version=version,
    )


def _who(user: User | None) -> str:
    return user.display_name if user is not None else "the pool"


def _check_text(value: str, field: str) -> str:
    value = value.strip()
    if problem := limits.text_problem(value, REASON_MAX):
        raise FollowUpRefused(f"The {field} {problem}.", field)
    return value


def _check_assignee(report_org: int, assignee: User | None) -> None:
    if assignee is not None and (assignee.organization_id != report_org or not assignee.is_active):
        raise FollowUpRefused("Choose a person of this organization, or the pool.", "assignee")


def schedule_follow_up(
    report: CallReport,
    by: User | None,
    *,
    due_at: datetime,
    assignee: User | None,
    method: str,
    reason: str = "",
    via: str = "",
) -> FollowUp:
    """A follow-up of `report`, due at `due_at` (aware), for `assignee` (None: the pool)."""
    if timezone.is_naive(due_at):
        raise FollowUpRefused("The due time needs a time zone.", "due_at")
    if year_problem(due_at):
        raise FollowUpRefused(year_problem(due_at), "due_at")
    if method not in Method.values:
        raise FollowUpRefused(f"The method is one of {', '.join(Method.values)}.", "method")
    _check_assignee(report.organization_id, assignee)
    reason = _check_text(reason, "reason")
    definition = current_definition(report)
    if not definition.offers_follow_ups(report.call_type):
        raise FollowUpRefused("This report's call type does not offer follow-ups.", "report")
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            organization_id=report.organization_id,
            report=report,
            form_id=report.form_id,
            due_at=due_at,
            assignee=assignee,
            method=method,
            reason=reason,
            max_attempts=definition.follow_up_attempts,
            created_by=by,
            created_via=via[:120],
        )
        due = due_at.astimezone(report.organization.zone).strftime("%Y-%m-%d %H:%M")
        _history(report.pk, by, f"scheduled: {Method(method).label.lower()}, due {due}, for {_who(assignee)}")
    return follow_up


def _locked(follow_up: FollowUp) -> FollowUp:
    return FollowUp.objects.select_for_update().get(pk=follow_up.pk)


def _recorded(follow_up: FollowUp) -> int:
    return follow_up.attempts.exclude(outcome="").count()


@dataclass
class Recorded:
    follow_up: FollowUp
    attempt: Attempt
    number: int  # this attempt's number (1 = the first)


def record_attempt(
    follow_up: FollowUp,
    by: User | None,
    outcome: str,
    *,
    note: str = "",
    via: str = "",
    attempt: Attempt | None = None,
) -> Recorded:
    """Record one attempt's outcome (on the attempt "Call now" started, when given). Reached:
    the follow-up is done. The last attempt without reaching the person: unreachable."""
    if outcome not in Outcome.values:
        raise FollowUpRefused(f"The outcome is one of {', '.join(Outcome.values)}.", "outcome")
    note = _check_text(note, "note")
    now = timezone.now()
    with transaction.atomic():
        current = _locked(follow_up)
        if not current.is_open:
            raise FollowUpRefused(f"This follow-up is {current.get_state_display().lower()} already.")
        if attempt is not None:
            attempt = Attempt.objects.select_for_update().filter(pk=attempt.pk, follow_up=current).first()
            if attempt is None or attempt.outcome:
                raise FollowUpRefused("This attempt is recorded already.")
        else:
            attempt = Attempt(follow_up=current, by=by, via=via[:120])
        attempt.outcome = outcome
        attempt.note = note
        attempt.recorded_at = now
        attempt.save()
        number = _recorded(current)
        text = f"attempt {number} of {current.max_attempts} by {by.display_name if by else via or 'the API'}: "
        text += Outcome(outcome).label.lower()
        if outcome == Outcome.REACHED:
            current.state = State.DONE
            text += "; done"
        elif number >= current.max_attempts:
            current.state = State.UNREACHABLE
            text += "; closed as unreachable"
        if not current.is_open:
            current.closed_at = now
            # Drafts "Call now" opened for attempts never recorded stay drafts; they no longer count.
            current.save(update_fields=["state", "closed_at"])
        _history(current.report_id, by, text)
    return Recorded(current, attempt, number)


def call_now(follow_up: FollowUp, user: User) -> CallReport:
    """Open a draft for calling the person back, pre-filled as a screen pop of the follow-up's
    form would be (their number, `user` as agent, now as the call start), and start an attempt
    with it. The same person asking again gets the same draft while it is one. A pool follow-up
    becomes `user`'s."""
    organization = user.organization
    assert organization is not None and organization.pk == follow_up.organization_id
    with transaction.atomic():
        current = _locked(follow_up)
        if not current.is_open:
            raise FollowUpRefused(f"This follow-up is {current.get_state_display().lower()} already.")
        pending = current.attempts.filter(outcome="", by=user, report__status="draft").select_related("report").last()
        if pending is not None and pending.report is not None:
            return pending.report
        original = current.report
        # The pop's own reading (form, agent, number, call start): what a phone system's URL would give.
        pairs = [
            ("reportVer", current.form.report_ver),
            ("agent", user.email),
            ("ani", original.phone_e164 or original.phone_raw),
            ("callStart", timezone.now().isoformat()),
        ]
        try:
            reading = read_call(organization, pairs)
        except UnknownForm:
            raise FollowUpRefused(f"The form {current.form.report_ver} is retired: no draft can be opened.") from None
        draft = start_draft(None, reading, author=user, agent=reading.agent or user, by=user)
        Attempt.objects.create(follow_up=current, report=draft, by=user)
        if current.assignee_id is None:
            current.assignee = user
            current.save(update_fields=["assignee"])
            _history(current.report_id, user, f"taken from the pool by {user.display_name}")
    return draft


def pending_attempt(report: CallReport) -> Attempt | None:
    """The attempt whose draft `report` is (opened by "Call now"), while its outcome is not recorded."""
    return (
        Attempt.objects.filter(report=report, outcome="", follow_up__state=State.OPEN)
        .select_related("follow_up__report", "follow_up__form")
        .first()
    )


def reassign(follow_ups: Iterable[FollowUp], by: User, assignee: User | None) -> int:
    """Give open follow-ups to `assignee` (None: the pool). Answers how many changed."""
    assert by.organization_id is not None
    _check_assignee(by.organization_id, assignee)
    changed = 0
    with transaction.atomic():
        for follow_up in follow_ups:
            current = _locked(follow_up)
            if current.organization_id != by.organization_id or not current.is_open:
                continue
            if current.assignee_id == (assignee.pk if assignee else None):
                continue
            current.assignee = assignee
            current.save(update_fields=["assignee"])
            _history(current.report_id, by, f"reassigned to {_who(assignee)} by {by.display_name}")
            changed += 1
    return changed


def close_follow_ups(follow_ups: Iterable[FollowUp], by: User) -> int:
    """Close open follow-ups that will not be done (a supervisor's decision). Answers how many."""
    closed = 0
    now = timezone.now()
    with transaction.atomic():
        for follow_up in follow_ups:
            current = _locked(follow_up)
            if current.organization_id != by.organization_id or not current.is_open:
                continue
            current.state = State.CLOSED
            current.closed_at = now
            current.save(update_fields=["state", "closed_at"])
            _history(current.report_id, by, f"closed by {by.display_name}")
            closed += 1
    return closed


def may_schedule(user: User, report: CallReport) -> bool:
    return can_view(user, report)
