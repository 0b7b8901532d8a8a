"""Writing access events: one function for the receivers, the middleware and the API."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.http import HttpRequest

from calldesk.accounts.models import Organization, User
from calldesk.audit.models import AccessEvent
from calldesk.lib.clientaddr import client_address
from calldesk.lib.crypto import phone_hash
from calldesk.lib.prepared import insert

logger = logging.getLogger(__name__)


def record_access(
    action: str,
    *,
    request: HttpRequest | None = None,
    user: User | None = None,
    organization: Organization | int | None = None,
    actor: str = "",
    report: UUID | str | None = None,
    phone_e164: str = "",
    **details: Any,
) -> AccessEvent:
    """Write one event. `phone_e164` is kept only as its keyed hash."""
    org_id = organization.pk if isinstance(organization, Organization) else organization
    if org_id is None and user is not None:
        org_id = user.organization_id
    return insert(
        AccessEvent(
            organization_id=org_id,
            user=user,
            actor=(actor or (user.email if user is not None else ""))[:254],
            action=action,
            report=report,
            phone_digest=phone_hash(phone_e164),
            address=client_address(request) if request is not None else None,
            details=details,
        )
    )
