"""Retention: callers' personal data is blanked once it is older than the organization keeps it.

For each report whose call started before the cutoff and that is not yet redacted: the phone
number and the fields marked personal in the report's own revision are blanked, also in the
report's history and in the call record (parameters, unmapped parameters, resolved values)
the phone system sent; `redacted_at` is set. Everything else stays for statistics, so the
dashboards count those reports as before. A run only touches reports not yet redacted, in
small locked batches: safe to run every night, safe to re-run, safe to run twice at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from calldesk.accounts.models import Organization
from calldesk.dashboards.models import ExportRecord, RetentionRun
from calldesk.reports.models import CallReport, ReportChange
from calldesk.telephony.models import Call

BATCH = 500
# Parameters that carry the caller's number (SPEC §2: `ani`); names match without case.
CALLER_PARAMETERS = frozenset({"ani"})
PHONE_COLUMNS = ("phone_raw", "phone_e164")


@dataclass
class Outcome:
    reports: int = 0
    calls: int = 0
    exports: int = 0
    field_keys: set[str] = field(default_factory=set)


def run_retention(organization: Organization, now: datetime | None = None) -> RetentionRun | None:
    """Blank expired personal data of one organization; None when it keeps data forever."""
    if organization.retention_days is None:
        return None
    now = now or timezone.now()
    cutoff = now - timedelta(days=organization.retention_days)
    run = RetentionRun.objects.create(
        organization=organization, retention_days=organization.retention_days, cutoff=cutoff
    )
    outcome = Outcome()
    while _redact_batch(organization, cutoff, now, outcome):
        pass
    outcome.calls += _redact_orphan_calls(organization, cutoff)
    outcome.exports = _redact_exports(organization, cutoff)
    run.reports_redacted = outcome.reports
    run.calls_redacted = outcome.calls
    run.exports_redacted = outcome.exports
    run.field_keys = sorted(outcome.field_keys)
    run.finished_at = timezone.now()
    run.save()
    return run


def _redact_batch(organization: Organization, cutoff: datetime, now: datetime, outcome: Outcome) -> bool:
    with transaction.atomic():
        # skip_locked: a second run at the same time takes other rows instead of waiting.
        batch = list(
            CallReport.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(organization=organization, call_start__lt=cutoff, redacted_at__isnull=True)
            .select_related("revision", "call")
            .order_by("id")[:BATCH]
        )
        for report in batch:
            personal = {item.key for item in report.revision.definition.fields if item.personal}
            touched = personal & set(report.values)
            outcome.field_keys |= touched
            phone_raw = report.phone_raw
            _redact_report(report, personal, now)
            if report.call is not None and _redact_call(report.call, phone_raw, personal):
                outcome.calls += 1
        outcome.reports += len(batch)
        return len(batch) == BATCH


def _redact_report(report: CallReport, personal: set[str], now: datetime) -> None:
    for key in personal:
        report.values.pop(key, None)
    report.phone_raw = ""
    report.phone_e164 = ""
    report.redacted_at = now
    # `update` leaves `version` and `updated_at` alone: a redaction is not an edit, and a
    # draft open in someone's editor keeps saving (its phone and personal fields are gone).
    CallReport.objects.filter(pk=report.pk).update(values=report.values, phone_raw="", phone_e164="", redacted_at=now)
    hidden = personal | set(PHONE_COLUMNS)
    for change in ReportChange.objects.filter(report=report):
        cleaned = {key: ([None, None] if key in hidden else value) for key, value in change.changes.items()}
        if cleaned != change.changes:
            ReportChange.objects.filter(pk=change.pk).update(changes=cleaned)
    ReportChange.objects.create(
        report=report,
        user=None,
        action=ReportChange.Action.REDACTED,
        changes={key: [None, None] for key in sorted(hidden)},
        version=report.version,
    )


def _redact_call(call: Call, phone_raw: str, personal: set[str]) -> bool:
    """Blank the caller's number (and personal values) in what the phone system sent."""
    params = _blank_pairs(call.params, phone_raw)
    unmapped = _blank_pairs(call.unmapped, phone_raw)
    resolved = {
        key: ("" if key in personal or (phone_raw and value == phone_raw) else value)
        for key, value in call.resolved.items()
    }
    changed = params != call.params or unmapped != call.unmapped or resolved != call.resolved
    # The reopen fingerprint is a hash of the parameters, number included; old calls never reopen.
    if changed or call.fingerprint:
        Call.objects.filter(pk=call.pk).update(params=params, unmapped=unmapped, resolved=resolved, fingerprint="")
        return True
    return False


def _blank_pairs(pairs: list[Any], phone_raw: str) -> list[Any]:
    blanked = []
    for pair in pairs:
        name, value = pair[0], pair[1]
        if str(name).lower() in CALLER_PARAMETERS or (phone_raw and value == phone_raw):
            value = ""
        blanked.append([name, value])
    return blanked


def _redact_orphan_calls(organization: Organization, cutoff: datetime) -> int:
    """Calls past the cutoff whose report is gone still hold the caller's number."""
    count = 0
    for call in Call.objects.filter(organization=organization, received_at__lt=cutoff, report__isnull=True).iterator():
        if _redact_call(call, "", set()):
            count += 1
    return count


def _redact_exports(organization: Organization, cutoff: datetime) -> int:
    """An export's recorded filter may name a caller's number."""
    count = 0
    for record in ExportRecord.objects.filter(
        Q(filters__has_key="phone"), organization=organization, started_at__lt=cutoff
    ):
        record.filters.pop("phone")
        record.filters["phone_removed"] = True
        record.save(update_fields=["filters"])
        count += 1
    return count


def run_all(now: datetime | None = None) -> list[RetentionRun]:
    runs = []
    for organization in Organization.objects.filter(retention_days__isnull=False).order_by("pk"):
        run = run_retention(organization, now)
        if run is not None:
            runs.append(run)
    return runs
