"""Saving, submitting, correcting and closing call reports.

Every write is one transaction on a locked row, checked against the version the
writer started from: no half-written report, no silent overwrite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Exists, Q, QuerySet
from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.lib.prepared import Prepared, param
from calldesk.reports.models import CallReport, ReportChange, Status, is_empty, stored_values
from calldesk.telephony.ending import end_with_report
from calldesk.telephony.signals import announce_call

BUILTINS = ("agent", "call_start", "phone_raw", "phone_e164", "call_type")
# What other apps require of a report before it is submitted (imminent risk: the emergency
# record's outcome), registered in their AppConfig.ready so reports imports none of them: each
# answers "" or why the report cannot be submitted yet.
SUBMIT_CHECKS: list[Callable[[CallReport], str]] = []

# What other apps keep of a report and show beside it (its follow-ups, its imminent risk, its
# caller's profile), registered in their AppConfig.ready: a name and an `Exists` of their rows for
# the report (`OuterRef` names the report's columns). The report pages read every flag with the
# report, in its one query, so a panel with nothing to show costs no query of its own: on a
# screen pop, nearly all of them.
REPORT_FLAGS: dict[str, Callable[[], Exists]] = {}


def may_have(report: CallReport, flag: str) -> bool:
    """False only when the report was read with `flag` and nothing of it exists; a report read
    without it (by a path that does not load the flags) may have some."""
    return bool(getattr(report, flag, True))


class VersionConflict(Exception):
    """Someone saved this report since the writer loaded it."""

    def __init__(self, current: CallReport) -> None:
        super().__init__(f"report {current.public_id} is at version {current.version}")
        self.current = current


class NotEditable(Exception):
    """The report's status does not allow this change (e.g. submitting it twice)."""


def can_view(user: User, report: CallReport) -> bool:
    if user.organization_id != report.organization_id or not user.is_active:
        return False
    return user.is_supervisor or report.author_id == user.pk or report.agent_id == user.pk


def visible_reports(user: User) -> QuerySet[CallReport]:
    """The reports `user` may see: their own, or their organization's for supervisors."""
    if user.organization_id is None:
        return CallReport.objects.none()
    reports = CallReport.objects.filter(organization_id=user.organization_id)
    if user.is_supervisor:
        return reports
    return reports.filter(Q(author=user) | Q(agent=user))


def can_edit(user: User, report: CallReport) -> bool:
    """Authors correct their own reports; supervisors any of their organization's."""
    return can_view(user, report) and report.status not in (Status.ABANDONED, Status.ANSWERED_ELSEWHERE)


def _jsonable(name: str, value: Any) -> Any:
    if name == "agent":
        return value.display_name if value is not None else None
    if name == "call_start":
        return value.isoformat() if value is not None else None
    return value


def _same(name: str, before: Any, after: Any) -> bool:
    if name == "call_start" and before is not None and after is not None:
        # The editor shows the call start to the second; the stored one may carry the
        # microseconds of the moment the call came. The same second is no change.
        return bool(before.replace(microsecond=0) == after.replace(microsecond=0))
    return bool(before == after)


def _diff(report: CallReport, data: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name in BUILTINS:
        if name in data:
            before = getattr(report, name)
            if not _same(name, before, data[name]):
                changes[name] = [_jsonable(name, before), _jsonable(name, data[name])]
    for key, after in data.get("values", {}).items():
        before = report.values.get(key)
        if not (is_empty(before) and is_empty(after)) and before != after:
            changes[key] = [None if is_empty(before) else before, None if is_empty(after) else after]
    return changes


def _apply(report: CallReport, data: dict[str, Any], user: User) -> None:
    for name in BUILTINS:
        if name in data and not _same(name, getattr(report, name), data[name]):
            setattr(report, name, data[name])
    if "values" in data:
        report.values = {**report.values, **data["values"]}  # empties are dropped on save
    if "unchecked" in data:
        report.unchecked = data["unchecked"]
    # An empty Agent field is filled with the logged-in user when the report is saved.
    if report.agent_id is None:
        report.agent = user


def _locked(report: CallReport) -> CallReport:
    # of=self: PostgreSQL cannot lock the nullable side of the outer join to the agent. The
    # revision's number finds its parsed definition in the process's cache (callforms.setups),
    # which sealing the personal values on save needs; its definition is read only on a miss.
    return (
        CallReport.objects.select_for_update(of=("self",))
        .select_related("agent", "revision")
        .defer("revision__definition_json")
        .get(pk=report.pk)
    )


def save_report(report: CallReport, user: User, data: dict[str, Any], base_version: int) -> CallReport:
    """Save a draft, or correct a submitted report (kept in its history)."""
    with transaction.atomic():
        current = _locked(report)
        if current.version != base_version:
            raise VersionConflict(current)
        if current.status not in (Status.DRAFT, Status.SUBMITTED, Status.CLOSED):
            raise NotEditable(f"a report that is {current.get_status_display().lower()} cannot be changed")
        changes = _diff(current, data)
        _apply(current, data, user)
        if not changes and current.agent_id == report.agent_id:
            return current
        current.version += 1
        current.save()
        if current.status != Status.DRAFT:
            ReportChange.objects.create(
                report=current,
                user=user,
                action=ReportChange.Action.CORRECTED,
                changes=changes,
                version=current.version,
            )
    return current


# What autosave reads and writes of a report, and its revision's number, which finds the
# revision's parsed definition in the process's cache (callforms.setups).
AUTOSAVE_COLUMNS = (
    "id", "public_id", "organization_id", "author_id", "agent_id", "status", "version", "revision_id",
    "call_start", "phone_raw", "phone_e164", "call_type", "values", "unchecked",
    "revision__id", "revision__setup_version",
)  # fmt: skip


# Compiled once (calldesk.lib.prepared): compiling the ORM's SELECT was the largest part of an
# autosave's CPU, several times the cost of running it.
_AUTOSAVE_ROW = Prepared(
    lambda public_id: (
        CallReport.objects.select_related("revision").only(*AUTOSAVE_COLUMNS).filter(public_id=public_id)[:1]
    ),
    public_id=param(CallReport, "public_id"),
)


def autosave_row(public_id: UUID) -> CallReport | None:
    """The report with the columns autosave needs (see autosave_draft), or None."""
    return _AUTOSAVE_ROW.first(public_id=public_id)


def autosave_draft(report: CallReport, user: User, data: dict[str, Any], base_version: int) -> CallReport:
    """Save a draft's typing (reports.forms.read_editor's `data`) with one UPDATE of the columns
    that changed, guarded by the version the writer started from: the cheap path of autosave,
    which runs every few seconds while a specialist types. `report` is the draft as read; only
    the columns saved here need be loaded. Raises VersionConflict as save_report does (the row
    is read again only then)."""
    if report.version != base_version:
        raise VersionConflict(_reloaded(report))
    changed: dict[str, Any] = {}
    agent_id = report.agent_id
    if "agent" in data:
        agent_id = data["agent"].pk if data["agent"] is not None else None
    # An empty Agent field is filled with the logged-in user when the report is saved.
    if agent_id is None:
        agent_id = user.pk
    if agent_id != report.agent_id:
        changed["agent_id"] = agent_id
    for name in ("call_start", "phone_raw", "phone_e164", "call_type"):
        if name in data and not _same(name, getattr(report, name), data[name]):
            changed[name] = data[name]
    values = stored_values({**report.values, **data.get("values", {})})
    if values != report.values:
        changed["values"] = values
    unchecked = data.get("unchecked", report.unchecked)
    if unchecked != report.unchecked:
        changed["unchecked"] = unchecked
    if not changed:
        return report
    for name, value in changed.items():
        setattr(report, name, value)
    # What save() would write: the personal values sealed, the number's keyed hash kept in step
    # (QuerySet.update runs no pre_save of its own).
    columns = {name: value for name, value in changed.items() if name != "values"}
    if "values" in changed:
        columns["values"] = CallReport._meta.get_field("values").pre_save(report, False)
    if "phone_e164" in changed:
        columns["phone_hash"] = CallReport._meta.get_field("phone_hash").pre_save(report, False)
    now = timezone.now()
    # A draft has no word index to keep (reports.tokens): autosave stays one UPDATE.
    written = CallReport.objects.filter(pk=report.pk, version=base_version, status=Status.DRAFT).update(
        **columns, version=base_version + 1, updated_at=now
    )
    if written == 0:
        # Saved or finished by someone else since it was read.
        raise VersionConflict(_reloaded(report))
    report.version = base_version + 1
    report.updated_at = now
    return report


def _reloaded(report: CallReport) -> CallReport:
    return CallReport.objects.select_related("revision", "organization", "agent").get(pk=report.pk)


def _finish_draft(
    current: CallReport, user: User, data: dict[str, Any], status: Status, action: ReportChange.Action
) -> CallReport:
    """Apply the last typing and finish a locked draft (submitted or closed), with its history entry.
    Runs inside the caller's transaction."""
    changes = _diff(current, data)
    _apply(current, data, user)
    current.status = status
    current.submitted_at = timezone.now()
    current.version += 1
    current.save()
    ReportChange.objects.create(report=current, user=user, action=action, changes=changes, version=current.version)
    return current


def submit_report(
    report: CallReport, user: User, data: dict[str, Any], base_version: int, submit_key: str = ""
) -> CallReport:
    """Submit a draft, once. The same submit retried (same `submit_key`: a double click, a
    retry after a timeout) answers with the report as submitted; any other second submit of
    the same draft is refused (NotEditable). The status check runs on the locked row, so
    concurrent submits queue and only the first one changes anything."""
    with transaction.atomic():
        current = _locked(report)
        if current.status != Status.DRAFT:
            if submit_key and current.submit_key == submit_key:
                return current
            raise NotEditable("This report was already submitted.")
        if current.version != base_version:
            raise VersionConflict(current)
        for check in SUBMIT_CHECKS:
            if refusal := check(current):
                raise NotEditable(refusal)
        current.submit_key = submit_key[:64] or None
        submitted = _finish_draft(current, user, data, Status.SUBMITTED, ReportChange.Action.SUBMITTED)
    end_with_report(submitted.call_id, submitted.submitted_at)
    return submitted


def close_report(report: CallReport, user: User, call_type: str, data: dict[str, Any] | None = None) -> CallReport:
    """Close a draft as a non-data call, with what was typed (`data`, optional); required
    fields are not asked."""
    update = {**(data or {}), "call_type": call_type}
    with transaction.atomic():
        current = _locked(report)
        if current.status != Status.DRAFT:
            raise NotEditable("This report is no longer a draft.")
        closed = _finish_draft(current, user, update, Status.CLOSED, ReportChange.Action.CLOSED)
    end_with_report(closed.call_id, closed.submitted_at)
    return closed


def abandon_report(report: CallReport, user: User) -> CallReport:
    """Close a draft nobody will finish. What was typed stays; it counts as a call without a report."""
    abandoned = _move(
        report, user, Status.DRAFT, Status.ABANDONED, ReportChange.Action.ABANDONED, "This report is no longer a draft."
    )
    # Nobody took it to the end: the call is not ended by this, but it leaves the board.
    if abandoned.call is not None:
        announce_call(abandoned.call)
    return abandoned


def abandon_reports(reports: list[CallReport], user: User) -> int:
    """`abandon_report` for each; one finished meanwhile is left as it is. How many were closed."""
    closed = 0
    for report in reports:
        try:
            abandon_report(report, user)
        except NotEditable:
            continue
        closed += 1
    return closed


def reopen_report(report: CallReport, user: User) -> CallReport:
    """Undo `abandon_report`: the draft is open again, as it was."""
    refusal = "Only a draft closed as abandoned can be reopened."
    return _move(report, user, Status.ABANDONED, Status.DRAFT, ReportChange.Action.REOPENED, refusal)


def _move(report: CallReport, user: User, source: str, target: str, action: str, refusal: str) -> CallReport:
    """Moves a report from status `source` to `target` alone (values untouched), on record in its history."""
    with transaction.atomic():
        current = _locked(report)
        if current.status != source:
            raise NotEditable(refusal)
        current.status = target
        current.version += 1
        current.save(update_fields=["status", "version", "updated_at"])
        ReportChange.objects.create(report=current, user=user, action=action, version=current.version)
    return current
