"""Access helpers: the object if it belongs to the admin's organization, else 404."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest

from calldesk.accounts.access import current_user
from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm
from calldesk.configure.models import ApiToken


def admin_org(request: HttpRequest) -> Organization:
    org = current_user(request).organization
    assert org is not None, "behind admin_required"
    return org


def org_form(request: HttpRequest, public_id: UUID) -> CallForm:
    form = CallForm.objects.filter(public_id=public_id, organization=admin_org(request)).first()
    if form is None:
        raise Http404("No such form")
    return form


def org_member(request: HttpRequest, public_id: UUID) -> User:
    member = User.objects.filter(public_id=public_id, organization=admin_org(request)).first()
    if member is None:
        raise Http404("No such user")
    return member


def org_token(request: HttpRequest, public_id: UUID) -> ApiToken:
    token = ApiToken.objects.filter(public_id=public_id, organization=admin_org(request)).first()
    if token is None:
        raise Http404("No such token")
    return token
