"""The report editor, its saves (autosave, submit, close, correct) and the read-only view.

The editor's script (static/calldesk/editor.js) posts the same form as a plain browser
would, asking for JSON; without JavaScript the same views answer with pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from calldesk.accounts.access import current_user
from calldesk.accounts.models import User
from calldesk.callforms.codecs import REQUIRED
from calldesk.lib.confirm import Confirmation, is_confirmed
from calldesk.lib.phones import display_e164, shown_number
from calldesk.lib.prepared import Prepared, param
from calldesk.lib.urls import uuid_url
from calldesk.reports.display import call_record, change_rows, report_rows
from calldesk.reports.editor_html import close_buttons_html, fields_html
from calldesk.reports.forms import (
    EditorField,
    Reading,
    editor_fields,
    read_editor,
    required_problems,
    shown_from_report,
    unchecked_problems,
)
from calldesk.reports.history import earlier_calls
from calldesk.reports.models import CallReport, Status
from calldesk.reports.services import (
    REPORT_FLAGS,
    NotEditable,
    VersionConflict,
    abandon_report,
    abandon_reports,
    autosave_draft,
    autosave_row,
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


# Every report page reads the report with what its pages show of it, and whether the other apps'
# panels have anything to show (REPORT_FLAGS): compiled once, at the first page (every app ready).
_REPORT = Prepared(
    lambda public_id: (
        CallReport.objects.select_related("revision", "form", "organization", "agent", "author", "call")
        .annotate(**{name: exists() for name, exists in REPORT_FLAGS.items()})
        .filter(public_id=public_id)[:1]
    ),
    public_id=param(CallReport, "public_id"),
)


def get_report(request: HttpRequest, public_id: UUID) -> CallReport:
    """The report if this user may see it, else 404: outsiders never learn what exists."""
    report = _REPORT.first(public_id=public_id)
    if report is None or not can_view(current_user(request), report):
        raise Http404("No such report")
    return report


def _draft_row(request: HttpRequest, public_id: UUID) -> CallReport:
    """The report with only the columns autosave needs, if this user may see it, else 404."""
    report = autosave_row(public_id)
    if report is None or not can_view(current_user(request), report):
        raise Http404("No such report")
    return report


def _agent_finder(user: User, report: CallReport) -> Callable[[str], User | None]:
    """The Agent list's choice by public id: the user themselves without a query, else a user
    of the report's organization who is active (or is already the report's agent: a report
    keeps the agent who took the call after they leave)."""

    def find(public_id: str) -> User | None:
        if public_id == str(user.public_id) and user.organization_id == report.organization_id:
            return user
        try:
            UUID(public_id)
        except ValueError:
            return None
        found = User.objects.filter(organization_id=report.organization_id, public_id=public_id).first()
        return found if found is not None and (found.is_active or found.pk == report.agent_id) else None

    return find


def _read(request: HttpRequest, report: CallReport) -> Reading:
    """The editor's form as posted, checked against the report's own revision."""
    user = current_user(request)
    # The report is of the user's own organization (can_view), which the login loaded already.
    organization = user.organization
    assert organization is not None and organization.pk == report.organization_id
    return read_editor(
        report.revision.definition,
        request.POST,
        organization.zone,
        organization.phone_region,
        _agent_finder(user, report),
        current=report,
    )


def _agents(user: User, report: CallReport) -> list[User]:
    """The people the Agent list offers. Supervisors may name any agent; a specialist chooses
    between the one the phone system named and themselves (a list of every user would cost a
    query and an option per user on every screen pop)."""
    if user.is_supervisor:
        return list(
            User.objects.filter(organization_id=report.organization_id, is_active=True).order_by("name", "email")
        )
    return list(dict.fromkeys(u for u in (report.agent, user) if u is not None))


def _editor(
    request: HttpRequest,
    report: CallReport,
    shown: dict[str, Any],
    problems: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The editor page: `shown` holds each field's value (stored, or as posted), `problems` the marks."""
    definition = report.revision.definition
    user = current_user(request)
    builtins, custom = editor_fields(
        definition, shown, problems, _agents(user, report), report.organization.phone_region
    )
    if extra.get("submit_failed"):
        # Take the specialist to the first problem, also without the editor's script.
        first = next((item for item in [*builtins, *custom] if item.problems), None)
    else:
        # The phone system filled the built-in fields; the specialist starts typing at the form's own.
        first = next(iter(custom or builtins), None)
    if first is not None:
        first.autofocus = True
    url = report.get_absolute_url()
    context = {
        "report": report,
        "report_url": url,
        "builtin_html": fields_html(builtins),
        "custom_html": fields_html(custom),
        "marked": sum(1 for item in [*builtins, *custom] if item.problems),
        "close_buttons": close_buttons_html(url, [c for c in definition.call_types if not c.data]),
        "notices": report.call.notices if report.call else [],
        "phone_display": _phone_display(report, builtins),
        "earlier": earlier_calls(user, report),
        # One key per page load: however often this page's submit is sent, it submits once.
        "submit_key": uuid4().hex,
        # Named even when absent: a name the template does not find costs it an exception.
        "conflict": "",
        "submit_failed": False,
        **extra,
    }
    return render(request, "reports/editor.html", context, status=status)


def _phone_display(report: CallReport, builtins: list[EditorField]) -> str:
    """The stored number as people read it; the Phone field's reading when it is the same number
    (nearly always: a number parses in a tenth of the editor's own work)."""
    reading = next((item.phone for item in builtins if item.phone is not None), None)
    if reading is not None and reading.ok and reading.e164 == report.phone_e164:
        return reading.display
    return display_e164(report.phone_e164)


def _stored_editor(request: HttpRequest, report: CallReport) -> HttpResponse:
    """The editor on a report as stored, its kept typed values marked."""
    definition = report.revision.definition
    organization = report.organization
    shown = shown_from_report(report, definition, organization.zone)
    problems = unchecked_problems(definition, report.unchecked, organization.zone, organization.phone_region)
    return _editor(request, report, shown, problems)


@login_required
@require_GET
def report_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    report = get_report(request, public_id)
    user = current_user(request)
    if report.is_draft and can_edit(user, report):
        return _stored_editor(request, report)
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
    return _stored_editor(request, report)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _base_version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return -1


def _clock(request: HttpRequest, moment: datetime) -> str:
    """A time of day in the user's organization's zone (loaded with the login), 24-hour."""
    organization = current_user(request).organization
    zone = organization.zone if organization is not None else UTC
    return moment.astimezone(zone).strftime("%H:%M:%S")


def _errors_json(problems: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """Problems in the shape of Django's form.errors.get_json_data()."""
    return {
        name: [{"message": message, "code": "required" if message == REQUIRED else "invalid"}]
        for name, message in problems.items()
    }


@require_POST
@editor_login_required
def report_save(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Autosave of a draft, or a correction of a submitted report."""
    report = _draft_row(request, public_id)
    if report.status != Status.DRAFT:
        return _write(request, public_id, submit=False)
    return _autosave(request, report)


def _autosave(request: HttpRequest, report: CallReport) -> HttpResponse:
    """A draft's save: everything typed is kept, whether or not it passes its check yet;
    what does not is marked. One query to read, one guarded UPDATE to write."""
    reading = _read(request, report)
    try:
        written = autosave_draft(report, current_user(request), reading.data, _base_version(request))
    except VersionConflict as conflict:
        return _conflict(request, conflict.current, reading)
    url = written.get_absolute_url()
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "version": written.version,
                "saved_at": written.updated_at.isoformat(),
                # The time the page shows, in the organization's zone (the browser's may differ).
                "saved_at_shown": _clock(request, written.updated_at),
                "url": url,
                "marked": _errors_json(reading.problems),
            }
        )
    if reading.problems:
        messages.warning(request, "Draft saved. The marked fields need a look before you submit.")
    else:
        messages.success(request, "Draft saved.")
    return redirect(url)


@require_POST
@editor_login_required
def report_submit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _write(request, public_id, submit=True)


def _write(request: HttpRequest, public_id: UUID, *, submit: bool) -> HttpResponse:
    """Submit a draft, or save a correction: every value must pass its check (and, to submit a
    data call, every required field be filled); JSON for the editor's script, pages without it."""
    report = get_report(request, public_id)
    user = current_user(request)
    if not can_edit(user, report):
        raise Http404("No such report")
    reading = _read(request, report)
    problems = dict(reading.problems)
    if submit:
        problems.update(required_problems(report.revision.definition, reading, report.call_type))
    if problems:
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": _errors_json(problems)}, status=400)
        return _editor(request, report, reading.posted, problems, status=400, submit_failed=True)
    try:
        if submit:
            key = request.POST.get("submit_key", "")
            written = submit_report(report, user, reading.data, _base_version(request), key)
        else:
            written = save_report(report, user, reading.data, _base_version(request))
    except VersionConflict as conflict:
        return _conflict(request, conflict.current, reading)
    except NotEditable as exc:
        return _refused(request, report, str(exc))
    url = written.get_absolute_url()
    # Shown on the page the specialist lands on, with the script or without.
    messages.success(request, "Report submitted." if submit else "Correction saved.")
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "version": written.version,
                "saved_at": written.updated_at.isoformat(),
                "saved_at_shown": _clock(request, written.updated_at),
                "url": url,
            }
        )
    return redirect(url)


def _conflict(request: HttpRequest, current: CallReport, reading: Reading) -> HttpResponse:
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
    report = get_report(request, current.public_id)
    return _editor(
        request, report, reading.posted, reading.problems, status=409, conflict=message, theirs=report_rows(report)
    )


def _refused(request: HttpRequest, report: CallReport, message: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=409)
    messages.error(request, message)
    return redirect(report)


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
    # What was typed is kept, as a draft keeps it; a closed call never waits on a field. Only
    # the editor's own form carries it (with its version): a bare close changes nothing else.
    typed = _read(request, report).data if "version" in request.POST else None
    try:
        closed = close_report(report, current_user(request), call_type.key, typed)
    except NotEditable as exc:
        return _refused(request, report, str(exc))
    messages.success(request, f"Closed as {call_type.label.lower()}.")
    if _wants_json(request):
        return JsonResponse({"ok": True, "version": closed.version, "url": closed.get_absolute_url()})
    return redirect(closed)


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
            action=uuid_url("reports-abandon", public_id=report.public_id),
            button="Close as abandoned",
            cancel=reverse("reports-unfinished"),
            undo="You can undo this: the report's page has “Reopen as a draft”.",
        ).response(request)
    try:
        abandon_report(report, user)
    except NotEditable as exc:
        return _refused(request, report, str(exc))
    messages.success(request, "The draft was closed as abandoned. “Reopen as a draft” on its page undoes this.")
    return redirect("reports-unfinished")


# A page of unfinished calls holds 50; a bulk close is at most a few pages' worth.
BULK_CLOSE_MAX = 200


@require_POST
@editor_login_required
def unfinished_abandon(request: HttpRequest) -> HttpResponse:
    """A supervisor closes several drafts at once as abandoned (ticked on the unfinished calls)."""
    user = current_user(request)
    if not user.is_supervisor:
        raise Http404("No such page")
    wanted = request.POST.getlist("report") or request.POST.get("reports", "").split(",")
    ids = [value for value in wanted if _is_uuid(value)][:BULK_CLOSE_MAX]
    drafts = list(visible_reports(user).filter(public_id__in=ids, status=Status.DRAFT).select_related("author"))
    if not drafts:
        messages.error(request, "Tick the drafts to close first.")
        return redirect("reports-unfinished")
    if not is_confirmed(request):
        return Confirmation(
            title=f"Close {len(drafts)} draft{'s' if len(drafts) != 1 else ''} as abandoned?",
            consequences=[
                "They leave the unfinished calls and nobody can finish them.",
                "What was typed stays; each call counts as a call without a report on the dashboards.",
            ],
            action=reverse("reports-unfinished-abandon"),
            button="Close them as abandoned",
            cancel=reverse("reports-unfinished"),
            fields={"reports": ",".join(str(draft.public_id) for draft in drafts)},
            undo="Each report's page has “Reopen as a draft”.",
        ).response(request)
    closed = abandon_reports(drafts, user)
    messages.success(request, f"{closed} draft{'s were' if closed != 1 else ' was'} closed as abandoned.")
    return redirect("reports-unfinished")


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


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
    return redirect(report)
