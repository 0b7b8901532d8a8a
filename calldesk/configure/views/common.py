"""Access helpers: the object if it belongs to the admin's organization, else 404."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from calldesk.accounts.access import current_user
from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm
from calldesk.configure.models import ApiToken


def admin_org(request: HttpRequest) -> Organization:
    org = current_user(request).organization
    assert org is not None, "behind admin_required"
    return org


# Another organization's object and one that does not exist answer the same 404.
def org_form(request: HttpRequest, public_id: UUID) -> CallForm:
    return get_object_or_404(CallForm, public_id=public_id, organization=admin_org(request))


def org_member(request: HttpRequest, public_id: UUID) -> User:
    return get_object_or_404(User, public_id=public_id, organization=admin_org(request))


def org_token(request: HttpRequest, public_id: UUID) -> ApiToken:
    return get_object_or_404(ApiToken, public_id=public_id, organization=admin_org(request))
