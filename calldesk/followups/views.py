"""The follow-up pages: my list, everyone's (supervisors), one follow-up, scheduling one from a
report, "Call now" and recording an attempt. The editor's panel posts to the same views and
asks for JSON, so the specialist never leaves the report they are writing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from calldesk.accounts.access import current_user, supervisor_required
from calldesk.accounts.models import User
from calldesk.audit.models import AccessEvent
from calldesk.audit.services import record_access
from calldesk.followups import services
from calldesk.followups.forms import AttemptForm, BulkForm, ListFilterForm, person_of
from calldesk.followups.models import FollowUp, State
from calldesk.followups.panel import panel_context, schedule_form
from calldesk.reports.models import CallReport
from calldesk.reports.services import can_view

PAGE = 50


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def get_follow_up(request: HttpRequest, public_id: UUID) -> FollowUp:
    """The follow-up if this user may see it, else 404: outsiders never learn what exists."""
    found = (
        FollowUp.objects.select_related("report", "form", "assignee", "created_by", "organization")
        .filter(public_id=public_id)
        .first()
    )
    if found is None or not services.can_see(current_user(request), found):
        raise Http404("No such follow-up")
    return found


def _people(user: User) -> list[User]:
    return list(services.assignable(user))


def _listed(follow_ups: Any, request: HttpRequest) -> Any:
    page = Paginator(follow_ups.select_related("report", "form", "assignee"), PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    page.object_list = list(page.object_list)
    for item in page.object_list:
        item.overdue = item.is_open and item.due_at <= now
    return page


@login_required
@require_GET
def my_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    page = _listed(services.mine(user), request)
    return render(request, "followups/list.html", {"page": page, "title": "My follow-ups", "everyone": False})


@supervisor_required
@require_GET
def all_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    people = _people(user)
    filters = ListFilterForm(request.GET or {"state": State.OPEN}, people=people)
    found = services.visible_follow_ups(user).order_by("due_at", "id")
    if filters.is_valid():
        if filters.cleaned_data["state"]:
            found = found.filter(state=filters.cleaned_data["state"])
        wanted = filters.cleaned_data["assignee"]
        if wanted == "pool":
            found = found.filter(assignee__isnull=True)
        elif wanted:
            found = found.filter(assignee=person_of(wanted, people))
    context = {
        "page": _listed(found, request),
        "title": "All follow-ups",
        "everyone": True,
        "filters": filters,
        "bulk": BulkForm(people=people, ids=[]),
    }
    return render(request, "followups/list.html", context, status=200 if filters.is_valid() else 400)


@supervisor_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Reassign or close several follow-ups at once."""
    user = current_user(request)
    posted = []
    for value in request.POST.getlist("chosen")[:500]:
        try:
            posted.append(UUID(value))
        except ValueError:
            continue
    chosen = list(services.visible_follow_ups(user).filter(public_id__in=posted))
    form = BulkForm(request.POST, people=_people(user), ids=[str(item.public_id) for item in chosen])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("followups-all")
    data = form.cleaned_data
    if data["action"] == "close":
        count = services.close_follow_ups(chosen, user)
        messages.success(request, f"{count} follow-up{'s' if count != 1 else ''} closed.")
    else:
        target = data["assignee_user"]
        count = services.reassign(chosen, user, target)
        name = target.display_name if target else "the pool"
        messages.success(request, f"{count} follow-up{'s' if count != 1 else ''} given to {name}.")
    return redirect("followups-all")


@login_required
@require_GET
def detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    follow_up = get_follow_up(request, public_id)
    user = current_user(request)
    # Its reason and notes are the caller's data: opened like the report they belong to.
    record_access(
        AccessEvent.Action.REPORT_VIEW, request=request, user=user, report=follow_up.report.public_id, page="follow-up"
    )
    attempts = list(follow_up.attempts.select_related("by", "report"))
    context = {
        "follow_up": follow_up,
        "attempts": attempts,
        "recorded": sum(1 for a in attempts if a.outcome),
        "overdue": follow_up.is_open and follow_up.due_at <= timezone.now(),
        "may_open_report": can_view(user, follow_up.report),
        "attempt_form": AttemptForm(),
        "people": _people(user) if user.is_supervisor else [],
    }
    return render(request, "followups/detail.html", context)


def _panel_json(request: HttpRequest, report: CallReport) -> JsonResponse:
    context = panel_context(current_user(request), report)
    html = render_to_string("followups/_panel_body.html", context, request=request)
    return JsonResponse({"ok": True, "html": html})


def _refused(request: HttpRequest, message: str, back: str, status: int = 409) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=status)
    messages.error(request, message)
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def schedule(request: HttpRequest, report_id: UUID) -> HttpResponse:
    """Schedule a follow-up of a report the user may see (the editor's panel posts here too)."""
    user = current_user(request)
    report = CallReport.objects.select_related("organization", "form").filter(public_id=report_id).first()
    if report is None or not can_view(user, report):
        raise Http404("No such report")
    form = schedule_form(user, report, request.POST or None)
    back = report.get_absolute_url()
    if request.method == "GET" and _wants_json(request):
        # The editor's panel, once "Schedule a follow-up" is opened: the form's fields.
        html = render_to_string("followups/_schedule_fields.html", {"form": form}, request=request)
        return JsonResponse({"ok": True, "html": html})
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.schedule_follow_up(
                    report,
                    user,
                    due_at=data["due_at"],
                    assignee=data["assignee"],
                    method=data["method"],
                    reason=data["reason"],
                )
            except services.FollowUpRefused as refused:
                if refused.field in form.fields:
                    form.add_error(refused.field, refused.message)
                else:
                    return _refused(request, refused.message, back)
            else:
                if _wants_json(request):
                    return _panel_json(request, report)
                messages.success(request, "Follow-up scheduled.")
                return redirect(back)
        if _wants_json(request):
            errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
            return JsonResponse({"ok": False, "errors": errors}, status=400)
    context = {"report": report, "form": form, "offered": services.offers_follow_ups(report)}
    return render(request, "followups/schedule.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def call(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """ "Call now": a new draft linked to the original report, pre-filled like a pop."""
    follow_up = get_follow_up(request, public_id)
    try:
        draft = services.call_now(follow_up, current_user(request))
    except services.FollowUpRefused as refused:
        return _refused(request, refused.message, follow_up.get_absolute_url())
    return HttpResponseRedirect(draft.get_absolute_url(), status=303)


@login_required
@require_POST
def attempt(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Record an attempt's outcome: on the attempt this user's "Call now" started, if any."""
    follow_up = get_follow_up(request, public_id)
    user = current_user(request)
    back = follow_up.get_absolute_url()
    form = AttemptForm(request.POST)
    if not form.is_valid():
        message = "Choose the outcome of the attempt." if "outcome" in form.errors else "The note is too long."
        return _refused(request, message, back, status=400)
    pending = follow_up.attempts.filter(outcome="", by=user).select_related("report").last()
    try:
        recorded = services.record_attempt(
            follow_up, user, form.cleaned_data["outcome"], note=form.cleaned_data["note"], attempt=pending
        )
    except services.FollowUpRefused as refused:
        return _refused(request, refused.message, back)
    if _wants_json(request) and pending is not None and pending.report is not None:
        return _panel_json(request, pending.report)
    state = recorded.follow_up.state
    if state == State.OPEN:
        left = recorded.follow_up.max_attempts - recorded.number
        messages.success(request, f"Attempt {recorded.number} recorded; {left} left.")
    else:
        messages.success(request, f"Attempt {recorded.number} recorded; the follow-up is {state}.")
    if _wants_json(request):
        return JsonResponse({"ok": True, "state": state, "url": back})
    return redirect(back)
