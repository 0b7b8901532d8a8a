"""What the admin pages keep of their own: API tokens and the audit trail."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from calldesk.accounts.models import Organization


class ApiToken(models.Model):
    """A secret the organization's systems send to the API. Only its hash is stored; the
    token itself is shown once, when it is created."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The token's first characters, so an admin can tell which token a system uses.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)  # sha256 hex; unique also serves the lookup
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEntry(models.Model):
    """One change made on the admin pages: who, when, what."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=64)  # e.g. "form.revision", "user.deactivate"
    target = models.CharField(max_length=300)  # what it was done to, in words
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The audit page: an organization's newest entries first.
            models.Index(fields=["organization", "-at"], name="audit_org_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"

    def detail_rows(self) -> list[tuple[str, str]]:
        """The details as the audit page shows them: changes as `old → new`, lists joined."""
        rows = []
        for key, value in self.details.items():
            if isinstance(value, list) and self.action in CHANGE_ACTIONS and len(value) == 2:
                text = f"{_shown(value[0])} → {_shown(value[1])}"
            elif isinstance(value, list):
                text = ", ".join(str(item) for item in value) or "none"
            else:
                text = _shown(value)
            rows.append((key.replace("_", " "), text))
        return rows


# Actions whose details are {attribute: [old, new]}.
CHANGE_ACTIONS = ("user.update", "organization.settings", "form.rename")


def _shown(value: object) -> str:
    return "—" if value in (None, "") else str(value)
