"""Call report forms: list, create, edit fields (publishing revisions), preview, retire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db.models import Count, Max
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from calldesk.accounts.access import admin_required, current_user
from calldesk.accounts.models import User
from calldesk.callforms.definition import DefinitionError
from calldesk.callforms.models import CallForm
from calldesk.configure import services
from calldesk.configure.editor import (
    call_type_rows,
    definition_from_rows,
    explain,
    field_rows,
    kept_rows,
    problem_row,
)
from calldesk.configure.forms import CallTypeFormSet, FieldRowFormSet, FormNameForm, NewCallForm
from calldesk.configure.views.common import admin_org, org_form
from calldesk.lib.confirm import Confirmation, is_confirmed
from calldesk.reports.editor_html import fields_html
from calldesk.reports.forms import editor_fields, local_input


@admin_required
@require_http_methods(["GET"])
def form_list(request: HttpRequest) -> HttpResponse:
    forms = (
        CallForm.objects.filter(organization=admin_org(request))
        .annotate(revision_count=Max("revisions__number"), mapping_count=Count("mappings", distinct=True))
        .order_by("retired_at", "name")
    )
    return render(request, "configure/form_list.html", {"forms": forms})


@admin_required
@require_http_methods(["GET", "POST"])
def form_new(request: HttpRequest) -> HttpResponse:
    form = NewCallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = services.new_form(current_user(request), form.cleaned_data["report_ver"], form.cleaned_data["name"])
        note = "created with two starter fields: change them and add its own."
        messages.success(request, f"Form {created.report_ver} {note}")
        return redirect("configure-form-edit", public_id=created.public_id)
    return render(request, "configure/form_new.html", {"form": form}, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def form_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    callform = org_form(request, public_id)
    revision = callform.current_revision()
    definition = revision.definition
    if request.method == "POST":
        name_form = FormNameForm(request.POST)
        # No `initial` here: a row counts by what was posted, not by whether it changed.
        fields = FieldRowFormSet(request.POST, prefix="fields")
        call_types = CallTypeFormSet(request.POST, prefix="ct")
        problems: list[str] = []
        if name_form.is_valid() and fields.is_valid() and call_types.is_valid():
            document = definition_from_rows(fields, call_types)
            if name_form.cleaned_data.get("follow_up_attempts") is not None:
                document["follow_up_attempts"] = name_form.cleaned_data["follow_up_attempts"]
            try:
                published = services.save_definition(
                    current_user(request), callform, document, name_form.cleaned_data["name"]
                )
            except DefinitionError as error:
                problems = _mark_rows(fields, document, error.problems)
            else:
                if published.revision is None:
                    messages.info(request, "Nothing changed in the fields; no new revision.")
                else:
                    messages.success(request, f"Published revision {published.revision.number}.")
                for broken in published.broken:
                    messages.warning(request, f"This revision breaks a mapping: {broken}")
                return redirect("configure-form-edit", public_id=callform.public_id)
        else:
            problems = ["Some entries are not valid; they are marked below."]
        status = 400
    else:
        name_form = FormNameForm(initial={"name": callform.name, "follow_up_attempts": definition.follow_up_attempts})
        fields = FieldRowFormSet(prefix="fields", initial=field_rows(definition))
        call_types = CallTypeFormSet(prefix="ct", initial=call_type_rows(definition))
        problems, status = [], 200
    context = {
        "callform": callform,
        "revision": revision,
        "name_form": name_form,
        "fields": fields,
        "call_types": call_types,
        "problems": problems,
    }
    return render(request, "configure/form_edit.html", context, status=status)


def _mark_rows(fields: BaseFormSet, document: dict[str, Any], problems: list[str]) -> list[str]:
    """Problems named by the position each row shows, and each row told its own problems
    (the page marks it), since removed and blank rows are not in the document."""
    rows = kept_rows(fields)
    positions = [row.cleaned_data.get("ORDER") or fields.forms.index(row) + 1 for row in rows]
    explained = []
    for problem in problems:
        text = explain(problem, document, positions)
        explained.append(text)
        index = problem_row(problem)
        if index is not None and index < len(rows):
            rows[index].definition_problems = [*getattr(rows[index], "definition_problems", []), text]
    return explained


@admin_required
@require_http_methods(["GET"])
def form_revisions(request: HttpRequest, public_id: UUID) -> HttpResponse:
    callform = org_form(request, public_id)
    revisions = callform.revisions.select_related("created_by").order_by("-number")
    return render(request, "configure/form_revisions.html", {"callform": callform, "revisions": revisions})


@admin_required
@require_http_methods(["GET"])
def form_preview(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The form as specialists see it, with the editor's own form class."""
    callform = org_form(request, public_id)
    revision = callform.current_revision()
    wanted = request.GET.get("revision", "")
    if wanted:
        # ASCII digits only (`²` passes isdigit() yet int() refuses it), at most 9: a longer
        # number would overflow the database's integer, not name a revision.
        readable = wanted.isascii() and wanted.isdigit() and len(wanted) < 10
        found = callform.revisions.filter(number=int(wanted)).first() if readable else None
        if found is None:
            raise Http404("No such revision")
        revision = found
    org = admin_org(request)
    agents = User.objects.filter(organization=org, is_active=True).order_by("name", "email")
    builtin_fields, custom_fields = editor_fields(
        revision.definition,
        {"call_start": local_input(timezone.now(), org.zone)},
        {},
        agents,
        org.phone_region,
    )
    context = {
        "callform": callform,
        "revision": revision,
        "builtin_html": fields_html(builtin_fields),
        "custom_html": fields_html(custom_fields),
    }
    return render(request, "configure/form_preview.html", context)


@admin_required
@require_POST
def form_retire(request: HttpRequest, public_id: UUID) -> HttpResponse:
    callform = org_form(request, public_id)
    retire = request.POST.get("retire") == "1"
    if retire and not callform.is_retired and not is_confirmed(request):
        return _retire_confirmation(callform).response(request)
    services.set_retired(current_user(request), callform, retire)
    if retire:
        messages.success(
            request,
            f"Form {callform.report_ver} is retired: phone pops of it now answer 404 (not found). "
            "“Open it to calls again” below undoes this.",
        )
    else:
        messages.success(request, f"Form {callform.report_ver} is open to calls again.")
    return redirect("configure-form-edit", public_id=callform.public_id)


def _retire_confirmation(callform: CallForm) -> Confirmation:
    since = timezone.now() - timedelta(days=30)
    recent = callform.calls.filter(received_at__gte=since).count()
    drafts = callform.reports.filter(status="draft").count()
    consequences = [
        f"Every phone pop of reportVer {callform.report_ver} will answer 404 (not found): specialists whose "
        "phone system opens this form's URL get no report to write until it is opened again or their phone "
        "system is set to another form.",
        f"In the last 30 days {recent} call{'s' if recent != 1 else ''} came through this form's URL.",
        "Its reports stay, can still be read, corrected and exported.",
    ]
    if drafts:
        consequences.append(f"{drafts} unfinished draft{'s' if drafts != 1 else ''} of it can still be finished.")
    return Confirmation(
        title=f"Retire form {callform.report_ver} ({callform.name})?",
        consequences=consequences,
        action=reverse("configure-form-retire", kwargs={"public_id": callform.public_id}),
        button="Retire the form",
        cancel=reverse("configure-form-edit", kwargs={"public_id": callform.public_id}),
        fields={"retire": "1"},
        undo="You can undo this: a retired form's page has “Open it to calls again”.",
    )
