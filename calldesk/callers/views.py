"""Caller profile pages: look one up by number or open it from a report, read it (every role,
audited), and for supervisors and admins write in it. Numbers travel in form bodies only,
never in an address."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from calldesk.accounts.access import current_user, supervisor_required
from calldesk.audit.models import AccessEvent
from calldesk.audit.services import record_access
from calldesk.callers import services
from calldesk.callers.forms import LIFT, AlertForm, BlockForm, NumberForm, ProfileForm
from calldesk.callers.models import CallerNumber, CallerProfile
from calldesk.callers.services import CallerError
from calldesk.lib.phones import display_e164
from calldesk.reports.views import get_report


def get_profile(request: HttpRequest, public_id: UUID) -> CallerProfile:
    """The profile if this user's organization holds it, else 404 (outsiders learn nothing)."""
    user = current_user(request)
    profile = CallerProfile.objects.filter(public_id=public_id, organization_id=user.organization_id or 0).first()
    if profile is None or not services.may_read(user, profile) or profile.redacted_at is not None:
        raise Http404("No such caller profile")
    return profile


def _url(profile: CallerProfile) -> str:
    return profile.get_absolute_url()


def _page(request: HttpRequest, profile: CallerProfile, status: int = 200, **forms: Any) -> HttpResponse:
    user = current_user(request)
    now = timezone.now()
    blocked, until = profile.blocked_until(now)
    alerts = profile.alert_list()
    context = {
        "profile": profile,
        "numbers": [(number, display_e164(number.number_e164)) for number in profile.numbers.all()],
        "alerts": [(alert, alert.is_active(now)) for alert in alerts],
        "blocked": blocked,
        "until": until,
        "may_write": services.may_write(user),
        "profile_form": forms.get("profile_form")
        or ProfileForm(initial={"preferred_name": profile.preferred_name, "instructions": profile.instructions}),
        "alert_form": forms.get("alert_form") or AlertForm(),
        "block_form": forms.get("block_form") or BlockForm(),
        "number_form": forms.get("number_form") or NumberForm(),
        "problem": forms.get("problem", ""),
    }
    return render(request, "callers/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def profile_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    profile = get_profile(request, public_id)
    record_access(
        AccessEvent.Action.CALLER_VIEW, request=request, user=current_user(request), caller=str(profile.public_id)
    )
    return _page(request, profile)


@supervisor_required
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Find (or make) a profile by number; the number comes in the body, never the address."""
    user = current_user(request)
    assert user.organization is not None
    form = NumberForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            e164 = services.read_number(form.cleaned_data["number"], user.organization.phone_region)
        except CallerError as error:
            form.add_error("number", error.message)
            return render(request, "callers/lookup.html", context, status=400)
        record_access("phone.search", request=request, user=user, phone_e164=e164, page="callers")
        if request.POST.get("create") == "1":
            profile, _ = services.create_profile(user, e164)
            return redirect(_url(profile), permanent=False)
        found = services.find_profile(user.organization_id or 0, e164)
        if found is not None:
            return redirect(_url(found))
        context.update(missing=display_e164(e164), number=form.cleaned_data["number"])
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "callers/lookup.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def from_report(request: HttpRequest, report_id: UUID) -> HttpResponse:
    """The profile of a report's number: opened from the editor's side or a report."""
    report = get_report(request, report_id)
    user = current_user(request)
    if not report.phone_hash:
        raise Http404("This report has no caller number")
    profile = services.profile_by_hash(report.organization_id, report.phone_hash)
    if request.method == "POST":
        if not services.may_write(user):
            raise Http404("Not found")
        if profile is None:
            profile, _ = services.create_profile(user, report.phone_e164)
        return redirect(_url(profile))
    if profile is not None:
        return redirect(_url(profile))
    return render(
        request,
        "callers/none.html",
        {"report": report, "number": display_e164(report.phone_e164), "may_write": services.may_write(user)},
    )


def _writable(request: HttpRequest, public_id: UUID) -> CallerProfile:
    profile = get_profile(request, public_id)
    if not services.may_write(current_user(request)):
        raise Http404("Not found")
    return profile


@supervisor_required
@require_POST
def profile_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    profile = _writable(request, public_id)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _page(request, profile, 400, profile_form=form)
    try:
        services.update_profile(
            current_user(request), profile, form.cleaned_data["preferred_name"], form.cleaned_data["instructions"]
        )
    except CallerError as error:
        form.add_error(error.field or None, error.message)
        return _page(request, profile, 400, profile_form=form)
    return redirect(_url(profile))


@supervisor_required
@require_POST
def alert_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    profile = _writable(request, public_id)
    form = AlertForm(request.POST)
    if not form.is_valid():
        return _page(request, profile, 400, alert_form=form)
    try:
        services.add_alert(current_user(request), profile, form.cleaned_data["text"], form.cleaned_data["expires_at"])
    except CallerError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _page(request, profile, 400, alert_form=form)
    return redirect(_url(profile))


@supervisor_required
@require_POST
def alert_remove(request: HttpRequest, public_id: UUID, alert_id: UUID) -> HttpResponse:
    profile = _writable(request, public_id)
    try:
        services.remove_alert(current_user(request), profile, str(alert_id))
    except CallerError:
        raise Http404("No such alert") from None
    return redirect(_url(profile))


@supervisor_required
@require_POST
def block(request: HttpRequest, public_id: UUID) -> HttpResponse:
    profile = _writable(request, public_id)
    form = BlockForm(request.POST)
    if not form.is_valid():
        return _page(request, profile, 400, block_form=form)
    user = current_user(request)
    if form.cleaned_data["duration"] == LIFT:
        services.unblock_caller(user, profile)
    else:
        services.block_caller(user, profile, form.hours())
    return redirect(_url(profile))


@supervisor_required
@require_POST
def number_add(request: HttpRequest, public_id: UUID) -> HttpResponse:
    profile = _writable(request, public_id)
    form = NumberForm(request.POST)
    if not form.is_valid():
        return _page(request, profile, 400, number_form=form)
    user = current_user(request)
    assert user.organization is not None
    try:
        e164 = services.read_number(form.cleaned_data["number"], user.organization.phone_region)
        services.link_number(user, profile, e164)
    except CallerError as error:
        form.add_error("number", error.message)
        return _page(request, profile, 400, number_form=form)
    return redirect(_url(profile))


@supervisor_required
@require_POST
def number_remove(request: HttpRequest, public_id: UUID, number_id: UUID) -> HttpResponse:
    profile = _writable(request, public_id)
    number = CallerNumber.objects.filter(profile=profile, public_id=number_id).first()
    if number is None:
        raise Http404("No such number")
    try:
        services.unlink_number(current_user(request), profile, number)
    except CallerError as error:
        return _page(request, profile, 400, problem=error.message)
    return redirect(_url(profile))


@supervisor_required
@require_POST
def profile_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    profile = _writable(request, public_id)
    services.delete_profile(current_user(request), profile)
    return redirect("callers-lookup")
