"""Retention: callers' personal data is blanked once it is older than the organization keeps it.

For each report whose call started before the cutoff and that is not yet redacted: the phone
number and the fields marked personal in the report's own revision are blanked, also in the
report's history and in the call record (parameters, unmapped parameters, resolved values)
the phone system sent; `redacted_at` is set. Everything else stays for statistics, so the
dashboards count those reports as before. A run only touches reports not yet redacted, in
small locked batches: safe to run every night, safe to re-run, safe to run twice at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from calldesk.accounts.models import Organization
from calldesk.callforms.models import FormRevision
from calldesk.reports import tokens
from calldesk.reports.models import CallReport, ExportRecord, ReportChange, RetentionRun
from calldesk.telephony.models import Call

BATCH = 500
# Parameters that carry the caller's number (`ani`); names match without case.
CALLER_PARAMETERS = frozenset({"ani"})
PHONE_COLUMNS = ("phone_raw", "phone_e164")  # and phone_hash, their keyed hash
# Other apps' caller data kept by the same rule (caller profiles, follow-ups' reasons, emergency
# records), registered in their AppConfig.ready, so reports imports none of them: each is called
# with (organization, cutoff, now) after the reports.
RETENTION_HOOKS: list[Callable[[Organization, datetime, datetime], int]] = []


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
    after: int | None = 0
    while after is not None:
        after = _redact_batch(organization, cutoff, now, outcome, after)
    outcome.calls += _redact_orphan_calls(organization, cutoff)
    outcome.exports = _redact_exports(organization, cutoff)
    for hook in RETENTION_HOOKS:
        hook(organization, cutoff, now)
    run.reports_redacted = outcome.reports
    run.calls_redacted = outcome.calls
    run.exports_redacted = outcome.exports
    run.field_keys = sorted(outcome.field_keys)
    run.finished_at = timezone.now()
    run.save()
    return run


def _redact_batch(
    organization: Organization, cutoff: datetime, now: datetime, outcome: Outcome, after: int
) -> int | None:
    """Redact up to BATCH reports with ids above `after` (a handful of queries for all of them).
    Returns the last id done, or None when there are no more: each run walks the ids once
    instead of skipping the same redacted rows again for every batch."""
    with transaction.atomic():
        # skip_locked: a second run at the same time takes other rows instead of waiting.
        batch = list(
            CallReport.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(organization=organization, call_start__lt=cutoff, redacted_at__isnull=True, pk__gt=after)
            .select_related("call")
            .order_by("id")[:BATCH]
        )
        if not batch:
            return None
        personal_of = _personal_keys({report.revision_id for report in batch})
        blanked_values = []
        calls: dict[str, list[Call]] = {"params": [], "unmapped": [], "resolved": []}
        touched_calls: list[int] = []
        for report in batch:
            personal = personal_of[report.revision_id]
            touched = personal & set(report.values)
            if touched:
                outcome.field_keys |= touched
                report.values = {key: value for key, value in report.values.items() if key not in personal}
                blanked_values.append(report)
            if report.call is not None:
                changed = _redact_call(report.call, report.phone_raw, personal)
                for name in changed:
                    calls[name].append(report.call)
                # The reopen fingerprint is a hash of the parameters, number included.
                if changed or report.call.fingerprint:
                    touched_calls.append(report.call.pk)
        ids = [report.pk for report in batch]
        # `update`/`bulk_update` leave `version` and `updated_at` alone: a redaction is not an edit.
        # `unchecked` holds what was typed and not yet checked (any field, the phone included).
        CallReport.objects.filter(pk__in=ids).update(
            phone_raw="", phone_e164="", phone_hash="", unchecked={}, redacted_at=now
        )
        CallReport.objects.bulk_update(blanked_values, ["values"])
        tokens.forget(report.pk for report in blanked_values)
        for name, redacted in calls.items():
            Call.objects.bulk_update(redacted, [name])
        Call.objects.filter(pk__in=touched_calls).update(fingerprint="")
        outcome.calls += len(touched_calls)
        for report in batch:
            report.redacted_at = now
        _redact_history(batch, personal_of)
        outcome.reports += len(batch)
        return ids[-1]


def _personal_keys(revision_ids: set[int]) -> dict[int, set[str]]:
    """The fields each revision marks personal: a report is redacted by its own revision."""
    return {
        revision.pk: {item.key for item in revision.definition.fields if item.personal}
        for revision in FormRevision.objects.filter(pk__in=revision_ids)
    }


def _redact_history(batch: list[CallReport], personal_of: dict[int, set[str]]) -> None:
    """Earlier changes keep before/after values: the redacted ones are blanked there too, and
    the redaction itself is recorded (which fields, never their values)."""
    hidden = {report.pk: personal_of[report.revision_id] | set(PHONE_COLUMNS) for report in batch}
    changed = []
    for change in ReportChange.objects.filter(report__in=batch):
        cleaned = {key: ([None, None] if key in hidden[change.report_id] else v) for key, v in change.changes.items()}
        if cleaned != change.changes:
            change.changes = cleaned
            changed.append(change)
    ReportChange.objects.bulk_update(changed, ["changes"])
    ReportChange.objects.bulk_create(
        ReportChange(
            report=report,
            user=None,
            action=ReportChange.Action.REDACTED,
            changes={key: [None, None] for key in sorted(hidden[report.pk])},
            version=report.version,
        )
        for report in batch
    )


def _redact_call(call: Call, phone_raw: str, personal: set[str]) -> list[str]:
    """Blank the caller's number (and personal values) in what the phone system sent, on the
    object; the names of the fields that changed."""
    blanked = {
        "params": _blank_pairs(call.params, phone_raw),
        "unmapped": _blank_pairs(call.unmapped, phone_raw),
        "resolved": {
            key: ("" if key in personal or (phone_raw and value == phone_raw) else value)
            for key, value in call.resolved.items()
        },
    }
    changed = [name for name, value in blanked.items() if value != getattr(call, name)]
    for name in changed:
        setattr(call, name, blanked[name])
    return changed


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
        changed = _redact_call(call, "", set())
        if changed or call.fingerprint:
            # The reopen fingerprint is a hash of the parameters, number included.
            call.fingerprint = ""
            call.save(update_fields=[*changed, "fingerprint"])
            count += 1
    return count


def _redact_exports(organization: Organization, cutoff: datetime) -> int:
    """An export's recorded filter may name a caller's number."""
    count = 0
    # The filters are sealed: which of them hold a number is known only once they are opened.
    for record in ExportRecord.objects.filter(organization=organization, started_at__lt=cutoff).iterator():
        if "phone" not in record.filters:
            continue
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
