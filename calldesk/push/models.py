"""The log of pushed calls: one row per push, read by the consoles (live and on catch-up)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization
from calldesk.telephony.models import Call


class CallState(models.TextChoices):
    RINGING = "ringing", "Ringing"
    TALKING = "talking", "Talking"
    ENDED = "ended", "Ended"


class PushEvent(models.Model):
    """A call was recorded or changed state. Its id is the stream's event id (`Last-Event-ID`).

    It holds routing only, never caller data: what a console shows is read from the call and
    its report when the event is sent, so retention's redaction and organization scoping apply
    to pushed calls as to everything else.
    """

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # "call", or another app's kind (calldesk.push.events.register_kind): the stream's event name.
    kind = models.CharField(max_length=16, default="call")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, null=True, blank=True, related_name="push_events")
    # What an event of another kind is about (its public id); that app's describer reads it.
    subject = models.UUIDField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=CallState.choices, blank=True)
    # Whose console opens the call's draft now (the resolved agent, the answering user).
    pop_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The specialist the call's report is for, whose console follows the call's state too.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # A console's catch-up: its organization's events after the last one it saw.
            models.Index(fields=["organization", "id"], name="push_event_org_idx"),
            # Pruning old events.
            models.Index(fields=["created_at"], name="push_event_created_idx"),
        ]

    def __str__(self) -> str:
        return f"push event {self.pk}"
