"""Recording what admins change. Every service in `configure.services` calls `record`."""

from __future__ import annotations

from typing import Any

from calldesk.accounts.models import Organization, User
from calldesk.configure.models import AuditEntry


def record(organization: Organization, user: User | None, action: str, target: str, **details: Any) -> AuditEntry:
    return AuditEntry.objects.create(
        organization=organization, user=user, action=action, target=target[:300], details=details
    )
