"""What happens when a caller is at imminent risk: raise, take, record, and the webhook's queue.

Views, the API and commands call these verbs; none of them is written twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calldesk.lib.prepared import Prepared, param
from calldesk.push.events import line_of
from calldesk.push.services import publish_event
from calldesk.reports.models import CallReport, Status
from calldesk.reports.services import may_have
from calldesk.risk.models import Delivery, EmergencyRecord, RiskEvent, RiskWebhook
from calldesk.telephony.reading import read_params

if TYPE_CHECKING:
    from calldesk.accounts.models import Organization, User
    from calldesk.push.models import PushEvent

PUSH_KIND = "risk"
SIGNATURE_HEADER = "X-Calldesk-Signature"
# A failed delivery is tried again after 30 s, 1 min, 2 min, … (at most an hour apart), then given up.
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 8
POST_TIMEOUT_SECONDS = 5.0
# A delivery being posted is leased this long, so two `calldesk risk deliver` never post it twice.
LEASE = timedelta(minutes=2)
UNANSWERED = (
    "Imminent risk was raised on this report: record the emergency's outcome before submitting "
    "(or ask a supervisor to take the record over)."
)


class RiskRefused(Exception):
    """The user may not do this to this risk event or report."""


# Read on every screen pop's editor (nearly always nothing): compiled once per process.
_RISK_OF = Prepared(
    lambda report_id: RiskEvent.objects.filter(report_id=report_id).select_related(
        "raised_by", "taken_by", "taken_over_by"
    )[:1],
    report_id=param(RiskEvent, "report"),
)


# Set on a report read by the report pages (reports.services.REPORT_FLAGS, apps.py).
FLAG = "has_risk_event"


def risk_of(report: CallReport) -> RiskEvent | None:
    if not may_have(report, FLAG):
        return None
    return _RISK_OF.first(report_id=report.pk)


def raise_risk(report: CallReport, user: User) -> RiskEvent:
    """Raise imminent risk on a draft: every supervisor's console alerts until one takes it.
    Raising it again answers the same event (a double click alerts once)."""
    if report.organization_id != user.organization_id or report.status != Status.DRAFT:
        raise RiskRefused("Imminent risk is raised from a draft report.")
    with transaction.atomic():
        risk, created = RiskEvent.objects.get_or_create(
            report=report,
            defaults={
                "organization_id": report.organization_id,
                "raised_by": user,
                "line": line_of(read_params(report.call.sent_pairs())) if report.call is not None else "",
            },
        )
        if created:
            publish_event(PUSH_KIND, risk.organization_id, risk.public_id)
            queue_delivery(risk, "risk.raised")
    return risk


def take_risk(risk: RiskEvent, supervisor: User) -> RiskEvent:
    """A supervisor answers the alert; every console stops alerting. Taken once: the first wins."""
    if not supervisor.is_supervisor or supervisor.organization_id != risk.organization_id:
        raise RiskRefused("Only a supervisor of this organization takes a risk alert.")
    with transaction.atomic():
        current = RiskEvent.objects.select_for_update().get(pk=risk.pk)
        if current.taken_at is None:
            current.taken_by = supervisor
            current.taken_at = timezone.now()
            current.save(update_fields=["taken_by", "taken_at"])
            publish_event(PUSH_KIND, current.organization_id, current.public_id)
            queue_delivery(current, "risk.taken")
    return current


def take_over_record(risk: RiskEvent, supervisor: User) -> RiskEvent:
    """A supervisor answers for the emergency record: the report may be submitted without an outcome."""
    if not supervisor.is_supervisor or supervisor.organization_id != risk.organization_id:
        raise RiskRefused("Only a supervisor of this organization takes the record over.")
    now = timezone.now()
    updates: dict[str, Any] = {"taken_over_by": supervisor, "taken_over_at": now}
    changed = RiskEvent.objects.filter(pk=risk.pk, taken_over_at__isnull=True).update(**updates)
    if changed and risk.taken_at is None:
        take_risk(risk, supervisor)  # taking the record over answers the alert too
    risk.refresh_from_db()
    return risk


def record_emergency(report: CallReport, user: User, values: dict[str, Any]) -> EmergencyRecord:
    """Write the report's emergency record (the cleaned values of `forms.EmergencyForm`)."""
    risk = risk_of(report)
    if risk is None:
        raise RiskRefused("Raise imminent risk on this report first.")
    with transaction.atomic():
        record, _ = EmergencyRecord.objects.select_for_update().get_or_create(report=report)
        had_outcome = bool(record.outcome)
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_by = user
        record.save()
        if record.outcome and not had_outcome:
            queue_delivery(risk, "risk.recorded")
    return record


def submit_refusal(report: CallReport) -> str:
    """Why this draft may not be submitted yet for its risk ("" when it may)."""
    risk = RiskEvent.objects.filter(report=report).only("taken_over_at").first()
    if risk is None or risk.taken_over_at is not None:
        return ""
    return refusal_of(risk, EmergencyRecord.objects.filter(report=report).only("outcome").first())


def refusal_of(risk: RiskEvent | None, record: EmergencyRecord | None) -> str:
    """`submit_refusal` for a report whose risk event and emergency record are already read
    (the risk panel has both)."""
    if risk is None or risk.taken_over_at is not None:
        return ""
    return "" if record is not None and record.outcome else UNANSWERED


def open_risks(organization_id: int) -> list[RiskEvent]:
    """Risk events nobody has taken yet: the alerts a console shows as it opens (a query, so
    every serving process and every reload sees the same ones)."""
    found = RiskEvent.objects.filter(organization_id=organization_id, taken_at__isnull=True)
    return list(found.select_related("raised_by", "report").order_by("raised_at")[:100])


def console_data(risk: RiskEvent) -> dict[str, Any]:
    """What a supervisor's console shows of a risk event (no caller data: the line is the organization's)."""
    return {
        "risk": str(risk.public_id),
        "state": "taken" if risk.taken_at is not None else "raised",
        "line": risk.line,
        "specialist": risk.raised_by.display_name if risk.raised_by is not None else "",
        "raisedAt": risk.raised_at.isoformat(),
        "takenBy": risk.taken_by.display_name if risk.taken_by is not None else "",
        "takenAt": risk.taken_at.isoformat() if risk.taken_at is not None else "",
        "report": risk.report.get_absolute_url(),
        "take": reverse("risk-take", kwargs={"public_id": risk.public_id}),
    }


def describe_for_console(event: PushEvent) -> dict[str, Any]:
    if event.subject is None:
        return {}
    risk = (
        RiskEvent.objects.select_related("raised_by", "taken_by", "report")
        .filter(public_id=event.subject, organization_id=event.organization_id)
        .first()
    )
    return console_data(risk) if risk is not None else {}


# The webhook -----------------------------------------------------------------------------------


def set_webhook(organization_id: int, url: str) -> str:
    """Point the organization's risk events at `url` with a new secret, returned once to show."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    RiskWebhook.objects.update_or_create(organization_id=organization_id, defaults={"url": url, "secret": secret})
    return secret


def remove_webhook(organization_id: int) -> None:
    RiskWebhook.objects.filter(organization_id=organization_id).delete()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(risk: RiskEvent, event: str) -> dict[str, Any]:
    """What a dispatch system is told: when, which line, who; never the caller's data."""
    record = EmergencyRecord.objects.filter(report_id=risk.report_id).first()
    return {
        "event": event,
        "risk": str(risk.public_id),
        "report": str(risk.report.public_id),
        "line": risk.line,
        "raisedAt": risk.raised_at.isoformat(),
        "raisedBy": risk.raised_by.display_name if risk.raised_by is not None else "",
        "takenAt": risk.taken_at.isoformat() if risk.taken_at is not None else None,
        "takenBy": risk.taken_by.display_name if risk.taken_by is not None else None,
        "service": record.service if record is not None else "",
        "confirmedAt": record.confirmed_at.isoformat() if record is not None and record.confirmed_at else None,
        "outcome": record.outcome if record is not None else "",
    }


def queue_delivery(risk: RiskEvent, event: str) -> Delivery | None:
    """One row in the queue, written with the caller's transaction; nothing is posted here, so
    the specialist never waits for the webhook's server."""
    hook = RiskWebhook.objects.filter(organization_id=risk.organization_id).first()
    if hook is None:
        return None
    body = json.dumps(webhook_body(risk, event), separators=(",", ":"))
    return Delivery.objects.create(
        organization_id=risk.organization_id, risk=risk, event=event, url=hook.url, body=body
    )


@dataclass(frozen=True)
class Delivered:
    posted: int
    delivered: int
    failed: int


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def _claim(now: datetime, limit: int) -> list[Delivery]:
    with transaction.atomic():
        due = Delivery.objects.select_for_update(skip_locked=True).filter(
            state=Delivery.State.PENDING, next_attempt_at__lte=now
        )
        rows = list(due.order_by("next_attempt_at")[:limit])
        Delivery.objects.filter(pk__in=[row.pk for row in rows]).update(next_attempt_at=now + LEASE)
    return rows


def _post(delivery: Delivery, secret: str) -> tuple[int | None, str]:
    """POST the body; (HTTP status, error text) — the status is None when nothing answered."""
    body = delivery.body.encode()
    # Only http(s): the webhook form and `queue_delivery` take nothing else.
    request = urllib.request.Request(  # noqa: S310
        delivery.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Calldesk risk webhook",
            SIGNATURE_HEADER: sign(secret, body),
            "X-Calldesk-Event": delivery.event,
            "X-Calldesk-Delivery": str(delivery.pk),
        },
    )
    try:
        # An admin's http(s) URL: the form and queue_delivery take no other scheme.
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as answer:  # noqa: S310  # nosec B310
            return answer.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:300]


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> Delivered:
    """Post every delivery that is due (`calldesk risk deliver`, `calldesk maintenance`)."""
    now = now or timezone.now()
    rows = _claim(now, limit)
    secrets_by_org = dict(
        RiskWebhook.objects.filter(organization_id__in={row.organization_id for row in rows}).values_list(
            "organization_id", "secret"
        )
    )
    delivered = failed = 0
    for row in rows:
        secret = secrets_by_org.get(row.organization_id)
        status, error = _post(row, secret) if secret else (None, "The webhook was removed.")
        row.attempts += 1
        row.last_status = status
        if status is not None and 200 <= status < 300:
            row.state = Delivery.State.DELIVERED
            row.delivered_at = timezone.now()
            row.last_error = ""
            delivered += 1
        else:
            row.last_error = error or f"HTTP {status}"
            if row.attempts >= MAX_ATTEMPTS or not secret:
                row.state = Delivery.State.FAILED
            row.next_attempt_at = timezone.now() + retry_delay(row.attempts)
            failed += 1
        row.save(update_fields=["attempts", "last_status", "state", "delivered_at", "last_error", "next_attempt_at"])
    return Delivered(posted=len(rows), delivered=delivered, failed=failed)


def recent_deliveries(organization_id: int, limit: int = 50) -> list[Delivery]:
    return list(Delivery.objects.filter(organization_id=organization_id).order_by("-created_at", "-pk")[:limit])


# Dashboards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskSummary:
    raised: int
    taken: int
    median_to_take: timedelta | None
    median_to_confirm: timedelta | None
    outcomes: list[tuple[str, int]]


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def summarize(organization_id: int, start: datetime, end: datetime) -> RiskSummary:
    """Risk events raised in [start, end): how many, how fast taken and confirmed, their outcomes."""
    from calldesk.risk.models import Outcome

    events = list(
        RiskEvent.objects.filter(
            organization_id=organization_id, raised_at__gte=start, raised_at__lt=end
        ).select_related("report__emergency")
    )
    to_take = [e.taken_at - e.raised_at for e in events if e.taken_at is not None]
    to_confirm: list[timedelta] = []
    counts: dict[str, int] = {}
    for event in events:
        record = getattr(event.report, "emergency", None)
        if record is None:
            counts["none"] = counts.get("none", 0) + 1
            continue
        counts[record.outcome or "none"] = counts.get(record.outcome or "none", 0) + 1
        if record.confirmed_at is not None:
            to_confirm.append(record.confirmed_at - event.raised_at)
    labels = dict(Outcome.choices) | {"none": "No outcome yet"}
    outcomes = [(labels[key], counts[key]) for key in [*Outcome.values, "none"] if counts.get(key)]
    return RiskSummary(len(events), len(to_take), _median(to_take), _median(to_confirm), outcomes)


def blank_old_records(organization: Organization, cutoff: datetime, now: datetime) -> int:
    """Retention (calldesk.reports.retention.RETENTION_HOOKS): the reference and notes of the
    emergency records of reports older than the organization keeps personal data."""
    return EmergencyRecord.objects.filter(report__organization=organization, report__call_start__lt=cutoff).update(
        reference="", notes=""
    )
