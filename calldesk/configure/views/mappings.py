"""A form's parameter mappings: list, add, remove, reorder."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from calldesk.accounts.access import admin_required, current_user
from calldesk.callforms.definition import CHOICE_TYPES
from calldesk.callforms.models import CallForm
from calldesk.callforms.services import MappingRule, check_mapping
from calldesk.configure import services
from calldesk.configure.forms import MappingForm
from calldesk.configure.views.common import org_form


def _mapping_form(callform: CallForm, data: object = None) -> MappingForm:
    definition = callform.current_revision().definition
    choices = [("", "— choose a field —")] + [(f.key, f"{f.label} ({f.key})") for f in definition.fields]
    return MappingForm(data, field_choices=choices)


def _page(
    request: HttpRequest, callform: CallForm, form: MappingForm, problems: list[str], status: int
) -> HttpResponse:
    definition = callform.current_revision().definition
    rows = []
    for mapping in callform.mappings.all():
        target = definition.field(mapping.field_key)
        rows.append({"mapping": mapping, "field": target, "problems": check_mapping(mapping.rule(), definition)})
    choice_fields = [f for f in definition.fields if f.type in CHOICE_TYPES]
    context = {"callform": callform, "rows": rows, "form": form, "problems": problems, "choice_fields": choice_fields}
    return render(request, "configure/mappings.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def mapping_list(request: HttpRequest, public_id: UUID) -> HttpResponse:
    callform = org_form(request, public_id)
    if request.method == "GET":
        return _page(request, callform, _mapping_form(callform), [], 200)
    form = _mapping_form(callform, request.POST)
    if not form.is_valid():
        return _page(request, callform, form, [], 400)
    data = form.cleaned_data
    rule = MappingRule(data["parameter"], data["value"], data["field_key"], data["field_value"])
    try:
        services.add_mapping(current_user(request), callform, rule)
    except services.MappingRefused as refused:
        return _page(request, callform, form, refused.problems, 400)
    messages.success(request, "Mapping added.")
    return redirect("configure-mappings", public_id=callform.public_id)


def _chosen_index(request: HttpRequest, callform: CallForm) -> int | None:
    """The rule the button was for, if the list is still as the admin saw it."""
    index_text = request.POST.get("index", "")
    mappings = list(callform.mappings.all())
    # ASCII digits only: `²` passes isdigit() yet int() refuses it.
    if not (index_text.isascii() and index_text.isdigit()) or int(index_text) >= len(mappings):
        return None
    index = int(index_text)
    if str(mappings[index]) != request.POST.get("rule", ""):
        return None
    return index


@admin_required
@require_POST
def mapping_change(request: HttpRequest, public_id: UUID) -> HttpResponse:
    callform = org_form(request, public_id)
    index = _chosen_index(request, callform)
    action = request.POST.get("action", "")
    if index is None or action not in ("remove", "up", "down"):
        messages.error(request, "The mappings changed since this page was shown; nothing was done. Try again.")
    elif action == "remove":
        services.remove_mapping(current_user(request), callform, index)
        messages.success(request, "Mapping removed.")
    else:
        services.move_mapping(current_user(request), callform, index, -1 if action == "up" else 1)
    return redirect("configure-mappings", public_id=callform.public_id)
