"""The report editor, its saves (autosave, submit, close, correct) and the read-only view.

The editor's script (static/calldesk/editor.js) posts the same form as a plain browser
would, asking for JSON; without JavaScript the same views answer with pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from calldesk.accounts.access import current_user
from calldesk.lib.confirm import Confirmation, is_confirmed
from calldesk.lib.phones import display_e164, shown_number
from calldesk.reports.display import call_record, change_rows, report_rows
from calldesk.reports.forms import PREFIX, ReportForm, initial_for
from calldesk.reports.history import earlier_calls
from calldesk.reports.models import CallReport, Status
from calldesk.reports.services import (
    NotEditable,
    VersionConflict,
    abandon_report,
    can_edit,
    can_view,
    close_report,
    reopen_report,
    save_report,
    submit_report,
    visible_reports,
)

View = Callable[..., HttpResponse]


def editor_login_required(view: View) -> View:
    """login_required, but a script's save after the session ended gets a 401 it can act on
    (ask the specialist to log in and keep the page) instead of the login page's HTML."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if _wants_json(request):
                message = "Your session has ended. Log in again to save; what you typed is kept on this page."
                return JsonResponse({"ok": False, "login": True, "message": message}, status=401)
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def get_report(request: HttpRequest, public_id: UUID) -> CallReport:
    """The report if this user may see it, else 404: outsiders never learn what exists."""
    report = (
        CallReport.objects.select_related("revision", "form", "organization", "agent", "author", "call")
        .filter(public_id=public_id)
        .first()
    )
    if report is None or not can_view(current_user(request), report):
        raise Http404("No such report")
    return report


def _form(request: HttpRequest, report: CallReport, data: Any = None, enforce_required: bool = False) -> ReportForm:
    definition = report.revision.definition
    zone = report.organization.zone
    user = current_user(request)
    # Supervisors may name any agent; a specialist chooses between the one sent and themselves.
    options = None if user.is_supervisor else list(dict.fromkeys(u for u in (report.agent, user) if u is not None))
    return ReportForm(
        definition,
        report.organization,
        data=data,
        initial=initial_for(report, definition, zone),
        enforce_required=enforce_required,
        agent_options=options,
    )


def _editor(
    request: HttpRequest, report: CallReport, form: ReportForm, status: int = 200, **extra: Any
) -> HttpResponse:
    definition = report.revision.definition
    context = {
        "report": report,
        "form": form,
        "builtin_fields": [form["agent"], form["call_start"], form["phone"], form["call_type"]],
        "custom_fields": [(form[PREFIX + item.key], item.required) for item in definition.fields],
        "non_data_types": [c for c in definition.call_types if not c.data],
        "notices": report.call.notices if report.call else [],
        "phone_display": display_e164(report.phone_e164),
        "earlier": earlier_calls(current_user(request), report),
        # One key per page load: however often this page's submit is sent, it submits once.
        "submit_key": uuid4().hex,
        **extra,
    }
    return render(request, "reports/editor.html", context, status=status)


@login_required
@require_GET
def report_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    report = get_report(request, public_id)
    user = current_user(request)
    if report.is_draft and can_edit(user, report):
        return _editor(request, report, _form(request, report))
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "rows": report_rows(report),
            "can_edit": can_edit(user, report),
            # The raw parameters are caller data: admins only, to set up mappings.
            "call_record": call_record(report) if user.is_org_admin else None,
            "history": [
                (change, change_rows(report, change.changes)) for change in report.changes.select_related("user")
            ],
        },
    )


@login_required
@require_GET
def report_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Correct a submitted report (author or supervisor); every change goes to its history."""
    report = get_report(request, public_id)
    if not can_edit(current_user(request), report):
        raise Http404("No such report")
    return _editor(request, report, _form(request, report))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _base_version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


@require_POST
@editor_login_required
def report_save(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Autosave of a draft, or a correction of a submitted report."""
    return _write(request, public_id, submit=False)


@require_POST
@editor_login_required
def report_submit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _write(request, public_id, submit=True)


def _write(request: HttpRequest, public_id: UUID, *, submit: bool) -> HttpResponse:
    """Save or submit the editor's form: the same checks and answers for both, JSON for the
    editor's script and pages without it."""
    report = get_report(request, public_id)
    user = current_user(request)
    if not can_edit(user, report):
        raise Http404("No such report")
    form = _form(request, report, data=request.POST, enforce_required=submit)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
        return _editor(request, report, form, status=400, submit_failed=submit)
    try:
        if submit:
            key = request.POST.get("submit_key", "")
            written = submit_report(report, user, form.report_data(), _base_version(request), key)
        else:
            written = save_report(report, user, form.report_data(), _base_version(request))
    except VersionConflict as conflict:
        return _conflict(request, report, form, conflict.current)
    except NotEditable as exc:
        return _refused(request, report, str(exc))
    url = f"/reports/{written.public_id}/"
    if _wants_json(request):
        return JsonResponse(
            {"ok": True, "version": written.version, "saved_at": written.updated_at.isoformat(), "url": url}
        )
    messages.success(request, "Report submitted." if submit else "Saved.")
    return redirect(url)


def _conflict(request: HttpRequest, report: CallReport, form: ReportForm, current: CallReport) -> HttpResponse:
    message = (
        f"Someone else saved this report (now version {current.version}) after you opened it. "
        "Your changes were not saved; both versions are shown."
    )
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": False,
                "conflict": True,
                "message": message,
                "version": current.version,
                "theirs": report_rows(current),
            },
            status=409,
        )
    return _editor(request, current, form, status=409, conflict=message, theirs=report_rows(current))


def _refused(request: HttpRequest, report: CallReport, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=409)
    messages.error(request, message)
    return redirect(f"/reports/{report.public_id}/")


@login_required
@require_GET
def unfinished_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    drafts = (
        visible_reports(user)
        .filter(status=Status.DRAFT)
        .select_related("form", "agent", "author")
        .order_by("-created_at")
    )
    page = Paginator(drafts, 50).get_page(request.GET.get("page"))
    region = user.organization.phone_region if user.organization is not None else ""
    page.object_list = list(page.object_list)
    for report in page.object_list:
        report.phone_shown = shown_number(report.phone_e164, region, report.phone_raw)  # type: ignore[attr-defined]
    return render(request, "reports/unfinished.html", {"page": page})


@require_POST
@editor_login_required
def report_close(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Close a draft in one click as a non-data call (hang-up, silent, …): no required fields."""
    report = get_report(request, public_id)
    if not can_edit(current_user(request), report):
        raise Http404("No such report")
    call_type = report.revision.definition.call_type(request.POST.get("close_as", ""))
    if call_type is None or call_type.data:
        return _refused(request, report, "Choose a call type that closes without a report.")
    # What was typed is kept when it is valid; a closed call never waits on a field.
    form = _form(request, report, data=request.POST)
    typed = form.report_data() if form.is_valid() else None
    try:
        closed = close_report(report, current_user(request), call_type.key, typed)
    except NotEditable as exc:
        return _refused(request, report, str(exc))
    if _wants_json(request):
        return JsonResponse({"ok": True, "version": closed.version, "url": f"/reports/{closed.public_id}/"})
    messages.success(request, f"Closed as {call_type.label.lower()}.")
    return redirect(f"/reports/{closed.public_id}/")


@require_POST
@editor_login_required
def report_abandon(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A supervisor closes a draft nobody will finish; it stays, counted as abandoned."""
    report = get_report(request, public_id)
    user = current_user(request)
    if not user.is_supervisor:
        raise Http404("No such report")
    if report.is_draft and not is_confirmed(request):
        author = report.author.display_name
        return Confirmation(
            title="Close this draft as abandoned?",
            consequences=[
                f"The draft {author} opened {report.created_at.astimezone(report.organization.zone):%Y-%m-%d %H:%M}"
                " leaves the unfinished calls and nobody can finish it.",
                "What was typed stays; the call counts as a call without a report on the dashboards.",
            ],
            action=f"/reports/{report.public_id}/abandon",
            button="Close as abandoned",
            cancel="/reports/unfinished/",
            undo="You can undo this: the report's page has “Reopen as a draft”.",
        ).response(request)
    try:
        abandon_report(report, user)
    except NotEditable as exc:
        return _refused(request, report, str(exc))
    messages.success(request, "The draft was closed as abandoned. “Reopen as a draft” on its page undoes this.")
    return redirect("/reports/unfinished/")


@require_POST
@editor_login_required
def report_reopen(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Undo "close as abandoned" (supervisors): the draft is back among the unfinished calls."""
    report = get_report(request, public_id)
    user = current_user(request)
    if not user.is_supervisor:
        raise Http404("No such report")
    try:
        reopen_report(report, user)
    except NotEditable as exc:
        return _refused(request, report, str(exc))
    messages.success(request, "The draft is open again among the unfinished calls.")
    return redirect(f"/reports/{report.public_id}/")
