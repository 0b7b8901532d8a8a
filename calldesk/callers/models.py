"""Caller profiles: what supervisors want every specialist to know when a number calls again.

A profile belongs to one organization and is found by the keyed hash of a number (the hash
that finds repeat callers, `calldesk.lib.crypto.phone_hash`), never by the number in clear.
Everything a person wrote into it is sealed at rest (`calldesk.lib.sealed`): the preferred
name, the instructions, each alert's text, the block and the linked numbers themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization
from calldesk.lib.sealed import PhoneHashField, SealedJSONField, SealedTextField
from calldesk.lib.urls import uuid_url

NOT_BLOCKED: dict[str, Any] = {"on": False, "until": None}


def not_blocked() -> dict[str, Any]:
    return dict(NOT_BLOCKED)


class CallerProfile(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="caller_profiles")
    preferred_name = SealedTextField(blank=True)
    instructions = SealedTextField(blank=True)  # "instructions when communicating"
    # {"on": bool, "until": ISO time or None (permanent)}. Sealed like the rest: whether a
    # caller is blocked is itself about the caller, and "not blocked" is sealed too, so the
    # column never tells the two apart.
    block = SealedJSONField(default=not_blocked)
    # [CallerAlert.as_json(), …] in the order they were added.
    alerts = SealedJSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when retention blanked the profile; a blanked profile is found by no number.
    redacted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Retention: an organization's profiles not changed since the cutoff.
            models.Index(fields=["organization", "updated_at"], name="caller_org_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"caller profile {self.public_id}"

    def get_absolute_url(self) -> str:
        return uuid_url("callers-detail", public_id=self.public_id)

    def blocked_until(self, now: datetime) -> tuple[bool, datetime | None]:
        """(blocked now, until when: None for a permanent block or none at all)."""
        block = self.block or NOT_BLOCKED
        if not block.get("on"):
            return False, None
        until = block.get("until")
        if until is None:
            return True, None
        ends = datetime.fromisoformat(until)
        return (ends > now, ends if ends > now else None)

    def alert_list(self) -> list[CallerAlert]:
        return [CallerAlert.of(item) for item in self.alerts or []]

    def active_alerts(self, now: datetime) -> list[CallerAlert]:
        return [alert for alert in self.alert_list() if alert.is_active(now)]


class CallerNumber(models.Model):
    """A number a profile is found by: the one it was made for, or one linked by hand."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(CallerProfile, on_delete=models.CASCADE, related_name="numbers")
    number_e164 = SealedTextField()
    number_hash = PhoneHashField(source="number_e164")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            # One number, one profile per organization: a pop must never have to choose.
            models.UniqueConstraint(fields=["organization", "number_hash"], name="caller_number_unique"),
        ]

    def __str__(self) -> str:
        return f"number of {self.profile_id}"


@dataclass(frozen=True)
class CallerAlert:
    """One alert of a profile ("safety plan on file", "call-time limit 10 min"). Alerts are kept
    in their profile's row (`CallerProfile.alerts`), sealed with it, so a screen pop reads a
    caller's profile and alerts in one query."""

    public_id: str  # a UUID: the address of its Remove button
    text: str
    expires_at: datetime | None  # None: until removed
    created_at: datetime

    def is_active(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "text": self.text,
            "expires": self.expires_at.isoformat() if self.expires_at else None,
            "at": self.created_at.isoformat(),
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> CallerAlert:
        expires = data.get("expires")
        return cls(
            public_id=str(data["id"]),
            text=str(data["text"]),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            created_at=datetime.fromisoformat(data["at"]),
        )

    @classmethod
    def new(cls, text: str, expires_at: datetime | None, now: datetime) -> CallerAlert:
        return cls(str(uuid.uuid4()), text, expires_at.astimezone(UTC) if expires_at else None, now.astimezone(UTC))
