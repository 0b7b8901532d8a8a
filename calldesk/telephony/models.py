"""The record of every screen pop a phone system announced."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.lib.sealed import SealedJSONField, SealedTextField
from calldesk.telephony.causes import CAUSES

# Zammad allows 250 characters; a longer ID is refused, never cut (two IDs could then collide).
EXTERNAL_ID_MAX = 250
END_REASON_MAX = 40
# The hang-up causes phone systems send (Zammad's CTI causes among them), and `unknown` for a
# call its source never ended: stored in clear so dashboards count by them. Any other cause is
# whatever a phone system sent, perhaps a name or a number: sealed.
KNOWN_END_REASONS = CAUSES


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
    # Same user + same parameters within 15 minutes reopens the same draft.
    fingerprint = models.CharField(max_length=64)
    # The phone system's own call ID (`callId`): one call per ID and organization, however often
    # a phone system retries; hang-ups and Zammad's CTI events find the call by it.
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX, blank=True)
    # Ringing until answered (answered_at), talking until ended (ended_at); ended never goes back.
    answered_at = models.DateTimeField(null=True, blank=True)
    # Who answered, when the source said (or opened the telephony URL: its specialist).
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls_answered"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = SealedTextField(blank=True, clear=KNOWN_END_REASONS)

    class Meta:
        indexes = [
            # open_call's reopen lookup: this user's recent calls with these parameters.
            models.Index(fields=["opened_by", "fingerprint", "received_at"], name="call_reopen_idx"),
            # The hang-up API finds a call by the phone system's ID.
            models.Index(fields=["organization", "external_id"], name="call_external_idx"),
            # The dashboard's calls of a date range (those without a report, who answered): a
            # range of this index instead of a scan of every call (30 days of a busy line: 0.74 s
            # to 0.48 s for the whole page).
            models.Index(fields=["organization", "received_at"], name="call_org_received_idx"),
            # The supervisors' board and the stale-call rule (calldesk.telephony.ending): the calls
            # not ended yet, a few per organization, however many calls the table holds.
            models.Index(
                fields=["organization", "received_at"], condition=models.Q(ended_at__isnull=True), name="call_live_idx"
            ),
        ]
        constraints = [
            # One call, one draft per callId, also when a phone system posts the same call from
            # several threads at once: the second insert fails and reads the first's call.
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="call_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"call {self.public_id}"

    def sent_pairs(self) -> list[tuple[str, str]]:
        """The parameters as the phone system sent them, in order, as (name, value) pairs."""
        return [(str(name), str(value)) for name, value in self.params]

    @property
    def state(self) -> str:
        if self.ended_at is not None:
            return "ended"
        return "talking" if self.answered_at is not None else "ringing"


class PendingHangup(models.Model):
    """A hang-up that arrived before its call: kept, and applied when the call with
    this callId is recorded."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pending_hangups")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX)
    ended_at = models.DateTimeField()
    end_reason = SealedTextField(blank=True, clear=KNOWN_END_REASONS)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The first hang-up counts; a repeated one changes nothing.
            models.UniqueConstraint(fields=["organization", "external_id"], name="pending_hangup_unique"),
        ]

    def __str__(self) -> str:
        return f"pending hang-up {self.external_id}"


class PendingAnswer(models.Model):
    """An answer that arrived before its call (events overtake each other): kept, and
    applied when the call with this callId is recorded. `calldesk maintenance` forgets the ones
    whose call never came, as it does pending hang-ups."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pending_answers")
    external_id = models.CharField(max_length=EXTERNAL_ID_MAX)
    answered_at = models.DateTimeField()
    # The answering agent as sent (an email address or agent ID), read when the call arrives.
    agent = models.CharField(max_length=EXTERNAL_ID_MAX, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The first answer counts, as on a recorded call.
            models.UniqueConstraint(fields=["organization", "external_id"], name="pending_answer_unique"),
        ]

    def __str__(self) -> str:
        return f"pending answer {self.external_id}"
