"""The record of every screen pop a phone system announced."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.lib.sealed import SealedJSONField


class CallSource(models.TextChoices):
    URL = "url", "Telephony URL"
    API = "api", "API"


class Call(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="calls")
    form = models.ForeignKey(CallForm, on_delete=models.CASCADE, related_name="calls")
    revision = models.ForeignKey(FormRevision, on_delete=models.PROTECT, related_name="calls")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls_opened"
    )
    source = models.CharField(max_length=8, choices=CallSource.choices, default=CallSource.URL)
    received_at = models.DateTimeField(auto_now_add=True)
    # What the phone system sent is caller data: sealed at rest (calldesk.lib.sealed).
    # Every parameter as sent, in order: [[name, value], ...]. Admins read it to configure mappings.
    params = SealedJSONField(default=list)
    # Parameters no mapping knows: [[name, value], ...].
    unmapped = SealedJSONField(default=list)
    # Sentences shown on the form and kept here: what could not be used, and why.
    notices = SealedJSONField(default=list)
    # The field values the mappings resolved: {field_key: value}.
    resolved = SealedJSONField(default=dict)
    # Same user + same parameters within 15 minutes reopens the same draft (SPEC §2).
    fingerprint = models.CharField(max_length=64)
    # The phone system's own call ID, for the hang-up notice of the API.
    external_id = models.CharField(max_length=200, blank=True)
    # Ringing until answered (answered_at), talking until ended (ended_at); ended never goes back.
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [
            # open_call's reopen lookup: this user's recent calls with these parameters.
            models.Index(fields=["opened_by", "fingerprint", "received_at"], name="call_reopen_idx"),
            # The hang-up API finds a call by the phone system's ID.
            models.Index(fields=["organization", "external_id"], name="call_external_idx"),
        ]

    def __str__(self) -> str:
        return f"call {self.public_id}"
