"""The organization's users: list, create, edit, deactivate and reactivate."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from calldesk.accounts import throttle, twofactor
from calldesk.accounts.access import admin_required, current_user
from calldesk.accounts.invitations import send_invitation
from calldesk.accounts.models import User
from calldesk.configure import services
from calldesk.configure.forms import UserCreateForm, UserEditForm
from calldesk.configure.views.common import admin_org, org_member
from calldesk.lib.confirm import Confirmation, is_confirmed


@admin_required
@require_http_methods(["GET"])
def user_list(request: HttpRequest) -> HttpResponse:
    org = admin_org(request)
    members = User.objects.filter(organization=org).order_by("-is_active", "name", "email")
    shared = services.shared_agent_ids(org)
    return render(request, "configure/user_list.html", {"members": members, "shared": shared})


@admin_required
@require_http_methods(["GET", "POST"])
def user_new(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        member = services.create_member(
            current_user(request), data["email"], data["name"], data["role"], data["agent_id"], data["password"]
        )
        if data["password"]:
            messages.success(request, f"{member.email} can now log in, and will choose their own password then.")
        else:
            send_invitation(request, member, current_user(request))
            messages.success(request, f"An invitation to choose a password was emailed to {member.email}.")
        return redirect("configure-users")
    return render(request, "configure/user_new.html", {"form": form}, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    member = org_member(request, public_id)
    acting = current_user(request)
    initial = {"name": member.name, "role": member.role, "agent_id": member.agent_id}
    form = UserEditForm(request.POST or None, initial=initial, member=member, acting=acting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_member(acting, member, data["name"], data["role"], data["agent_id"], data["new_password"])
        messages.success(request, f"{member.email} saved.")
        return redirect("configure-users")
    sharing = []
    if member.agent_id:
        sharing = list(
            User.objects.filter(organization=member.organization, agent_id=member.agent_id, is_active=True).exclude(
                pk=member.pk
            )
        )
    context = {
        "form": form,
        "member": member,
        "sharing": sharing,
        "is_self": member.pk == acting.pk,
        "failed_logins": throttle.failures(member.email),
        "two_factor": twofactor.confirmed_device(member),
    }
    return render(request, "configure/user_edit.html", context, status=400 if form.errors else 200)


@admin_required
@require_POST
def user_active(request: HttpRequest, public_id: UUID) -> HttpResponse:
    member = org_member(request, public_id)
    acting = current_user(request)
    active = request.POST.get("active") == "1"
    if member.pk == acting.pk:
        messages.error(request, "You cannot deactivate yourself; ask another admin.")
    elif not active and member.is_active and not is_confirmed(request):
        return Confirmation(
            title=f"Deactivate {member.display_name}?",
            consequences=[
                f"{member.display_name} ({member.email}) is logged out at once and cannot log in again.",
                "Phone pops naming them as agent leave the Agent field empty.",
                "Their reports stay, with their name on them.",
            ],
            action=reverse("configure-user-active", kwargs={"public_id": member.public_id}),
            button="Deactivate",
            cancel=reverse("configure-users"),
            fields={"active": "0"},
            undo="You can undo this: “Reactivate” on the Users page lets them log in again.",
        ).response(request)
    else:
        services.set_member_active(acting, member, active)
        messages.success(
            request,
            f"{member.email} can log in again."
            if active
            else f"{member.email} is deactivated and logged out. “Reactivate” below undoes this.",
        )
    return redirect("configure-users")


@admin_required
@require_POST
def user_unlock(request: HttpRequest, public_id: UUID) -> HttpResponse:
    member = org_member(request, public_id)
    services.unlock_member(current_user(request), member)
    messages.success(request, f"{member.email} can log in again at once; earlier failed logins are forgotten.")
    return redirect("configure-user-edit", public_id=member.public_id)


@admin_required
@require_POST
def user_two_factor_reset(request: HttpRequest, public_id: UUID) -> HttpResponse:
    member = org_member(request, public_id)
    if services.reset_member_two_factor(current_user(request), member):
        messages.success(request, f"{member.email} sets up two-factor sign-in again at their next sign-in.")
    else:
        messages.info(request, f"{member.email} had no two-factor sign-in to reset.")
    return redirect("configure-user-edit", public_id=member.public_id)
