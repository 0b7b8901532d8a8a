"""Organization settings, API tokens, the audit trail and the configuration home page."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from calldesk.accounts.access import admin_required, current_user
from calldesk.configure import services
from calldesk.configure.forms import OrganizationSettingsForm, TokenForm
from calldesk.configure.models import ApiToken, AuditEntry
from calldesk.configure.tokens import create_token, revoke_token
from calldesk.configure.views.common import admin_org, org_token


@admin_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    org = admin_org(request)
    context = {
        "org": org,
        "shared": services.shared_agent_ids(org),
        "recent": AuditEntry.objects.filter(organization=org).select_related("user")[:5],
    }
    return render(request, "configure/home.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def organization_settings(request: HttpRequest) -> HttpResponse:
    org = admin_org(request)
    initial = {name: getattr(org, name) for name in services.SETTINGS_FIELDS}
    form = OrganizationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if services.update_settings(current_user(request), form.cleaned_data):
            messages.success(request, "Settings saved.")
        return redirect("configure-settings")
    return render(request, "configure/settings.html", {"form": form}, status=400 if form.errors else 200)


def _tokens_page(request: HttpRequest, form: TokenForm, status: int = 200, raw: str = "") -> HttpResponse:
    tokens = ApiToken.objects.filter(organization=admin_org(request)).select_related("created_by")
    return render(request, "configure/tokens.html", {"form": form, "tokens": tokens, "raw": raw}, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    created = create_token(current_user(request), form.cleaned_data["name"])
    # Shown in this response only (pages are never cached); it is not stored anywhere.
    return _tokens_page(request, TokenForm(), raw=created.raw)


@admin_required
@require_POST
def token_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    token = org_token(request, public_id)
    if revoke_token(current_user(request), token):
        messages.success(request, f"Token “{token.name}” revoked; systems using it are refused from now on.")
    return redirect("configure-tokens")


@admin_required
@require_http_methods(["GET"])
def audit_list(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.filter(organization=admin_org(request)).select_related("user")
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "configure/audit.html", {"page": page})
