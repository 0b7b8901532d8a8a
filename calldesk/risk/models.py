"""Imminent risk: the event a specialist raises, the emergency record its report holds, and the
organization's outgoing webhook with its queue of deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from calldesk.accounts.models import Organization
from calldesk.lib.sealed import SealedTextField
from calldesk.reports.models import CallReport


class RiskEvent(models.Model):
    """A specialist said a caller is at imminent risk. One per report: raising again is the same event.

    Taken: a supervisor answered the alert (every console stops alerting). Taken over: a
    supervisor answers for the emergency record, so the report may be submitted without its outcome.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    report = models.OneToOneField(CallReport, on_delete=models.CASCADE, related_name="risk_event")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    # The line the caller dialled, as the phone system sent it (the organization's own number).
    line = models.CharField(max_length=64, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    taken_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    taken_over_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The console's alerts as it opens (not taken yet), and the dashboards' period.
            models.Index(fields=["organization", "taken_at"], name="risk_event_open_idx"),
            models.Index(fields=["organization", "raised_at"], name="risk_event_raised_idx"),
        ]

    def __str__(self) -> str:
        return f"risk event {self.public_id}"


class Consent(models.TextChoices):
    WITH = "with", "With the caller's consent"
    WITHOUT = "without", "Without the caller's consent"


class Service(models.TextChoices):
    PSAP = "psap", "911 / PSAP"
    MOBILE_CRISIS = "mobile_crisis", "Mobile crisis team"
    POLICE = "police", "Police"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    ON_SCENE = "on_scene", "Emergency services reached the person"
    NOT_LOCATED = "not_located", "The person was not located"
    NO_DISPATCH = "no_dispatch", "Resolved without a dispatch"
    CANCELLED = "cancelled", "Emergency contact cancelled"
    OTHER = "other", "Other"


class EmergencyRecord(models.Model):
    """What was done about a report's imminent risk. The reference and notes are the caller's
    business (they name the case at the emergency service): sealed at rest."""

    report = models.OneToOneField(CallReport, on_delete=models.CASCADE, related_name="emergency")
    consent = models.CharField(max_length=8, choices=Consent.choices, blank=True)
    service = models.CharField(max_length=16, choices=Service.choices, blank=True)
    reference = SealedTextField(blank=True)
    notes = SealedTextField(blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"emergency record of report {self.report_id}"


class RiskWebhook(models.Model):
    """Where an organization's risk events are posted (a dispatch or mobile-crisis system)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="risk_webhook")
    url = models.URLField(max_length=500)
    # Signs each body (HMAC-SHA256); shown once when made, sealed at rest like other secrets.
    secret = SealedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"risk webhook of {self.organization_id}"


class Delivery(models.Model):
    """One risk event to post to the webhook: the queue row, its attempts and its last answer."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Given up"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    risk = models.ForeignKey(RiskEvent, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=24)  # risk.raised, risk.taken, risk.recorded
    url = models.URLField(max_length=500)
    body = models.TextField()  # the JSON posted: no caller data (see services.webhook_body)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # `calldesk risk deliver`: the rows due now.
            models.Index(fields=["state", "next_attempt_at"], name="risk_delivery_due_idx"),
            # The admins' list of deliveries, newest first.
            models.Index(fields=["organization", "created_at"], name="risk_delivery_org_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.event})"
