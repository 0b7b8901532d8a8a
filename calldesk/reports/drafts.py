"""Starting and withdrawing a call's draft report: the reports app writes its own rows.

Telephony reads the call and decides whose draft it is; these verbs write the report and its
first history line. They live apart from `services` (saving, submitting) because those end a
call through telephony's lifecycle, and telephony calls these: one module each way, no cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F
from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.lib.prepared import insert
from calldesk.reports.models import CallReport, ReportChange, Status
from calldesk.telephony.models import Call


def start_draft(
    call: Call | None,
    *,
    organization_id: int,
    form: CallForm,
    revision: FormRevision,
    call_start: datetime,
    phone_raw: str,
    phone_e164: str,
    call_type: str,
    values: dict[str, Any],
    author: User,
    agent: User | None,
    by: User,
) -> CallReport:
    """The draft report of `call` (or of no call: a follow-up's call back), pre-filled, with its
    "created" history line by `by`. Runs inside the caller's transaction (the call and its draft
    are written together)."""
    report = CallReport(
        organization_id=organization_id,
        form=form,
        revision=revision,
        call=call,
        agent=agent,
        call_start=call_start,
        phone_raw=phone_raw,
        phone_e164=phone_e164,
        call_type=call_type,
        values=values,
        author=author,
    )
    report.insert_draft()
    insert(ReportChange(report=report, user=by, action=ReportChange.Action.CREATED, version=1))
    return report


def withdraw_draft(report: CallReport, answered_by: User | None) -> bool:
    """The draft of a specialist whose phone rang while `answered_by` took the call: closed as
    answered elsewhere and taken off the call, which gets the answerer's draft. What was typed
    stays in it. False when it is no longer a draft (submitted meanwhile): it stays the call's.
    Runs inside the caller's transaction."""
    now = timezone.now()
    # Guarded like autosave: a save racing this one finds the draft gone (a version conflict).
    withdrawn = CallReport.objects.filter(pk=report.pk, status=Status.DRAFT).update(
        status=Status.ANSWERED_ELSEWHERE, call=None, version=F("version") + 1, updated_at=now
    )
    if not withdrawn:
        return False
    report.refresh_from_db(fields=["status", "call", "version", "updated_at"])
    ReportChange.objects.create(
        report=report, user=answered_by, action=ReportChange.Action.ANSWERED_ELSEWHERE, version=report.version
    )
    return True
