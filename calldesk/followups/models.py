"""Follow-ups of a report (a callback, a text, an email to the caller) and their attempts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm
from calldesk.lib.sealed import SealedTextField
from calldesk.lib.urls import uuid_url
from calldesk.reports.models import CallReport

# How long a reason or an attempt's note may be: a few sentences, not a second report.
REASON_MAX = 2000


class Method(models.TextChoices):
    CALL = "call", "Call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"


class State(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"  # the person was reached
    UNREACHABLE = "unreachable", "Unreachable"  # every attempt made, nobody reached
    CLOSED = "closed", "Closed"  # closed by a supervisor without being done


class Outcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    LEFT_MESSAGE = "left_message", "Left a message"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class FollowUp(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="follow_ups")
    # The report the follow-up was scheduled from; its history holds every step.
    report = models.ForeignKey(CallReport, on_delete=models.CASCADE, related_name="follow_ups")
    # The form "Call now" opens (the original report's form when scheduled).
    form = models.ForeignKey(CallForm, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField()
    # None: the organization's pool, anyone may take it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups"
    )
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.CALL)
    # Why: it may name the caller or what they said, so it is sealed at rest.
    reason = SealedTextField(blank=True)
    # The form's maximum when it was scheduled: a later change of the form leaves it as it was.
    max_attempts = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who scheduled it when no person did (an API token, by name).
    created_via = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The lists, the menu's overdue count and the console's reminder: open ones by due time.
            models.Index(fields=["organization", "state", "due_at"], name="followup_org_state_due_idx"),
            models.Index(fields=["assignee", "state", "due_at"], name="followup_assignee_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="open", closed_at__isnull=True) | ~models.Q(state="open"),
                name="followup_open_not_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up {self.public_id}"

    def get_absolute_url(self) -> str:
        return uuid_url("followups-detail", public_id=self.public_id)

    @property
    def is_open(self) -> bool:
        return self.state == State.OPEN


class Attempt(models.Model):
    """One try at a follow-up. "Call now" starts one (outcome still empty) with its draft; the
    outcome, once recorded, never changes."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="attempts")
    # The draft "Call now" opened for this attempt, if any.
    report = models.ForeignKey(CallReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    note = SealedTextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    via = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome="", recorded_at__isnull=True)
                | (~models.Q(outcome="") & models.Q(recorded_at__isnull=False)),
                name="attempt_outcome_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"attempt at {self.follow_up_id}: {self.outcome or 'pending'}"
