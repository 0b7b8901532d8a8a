"""A form's URL builder and the paste-a-URL tester.

The tester reads a URL with `telephony.services.read_call`, the endpoint's own reading,
and writes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from calldesk.accounts.access import admin_required
from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm
from calldesk.configure.forms import TesterForm
from calldesk.configure.urlbuilder import (
    PLACEHOLDER_RE,
    URL_LENGTH_LIMIT,
    NotATelephonyUrl,
    build,
    pairs_from_url,
    slots_for,
)
from calldesk.configure.views.common import admin_org, org_form
from calldesk.telephony.reading import read_params
from calldesk.telephony.services import MissingReportVer, UnknownForm, read_call


def _builder(request: HttpRequest, callform: CallForm) -> dict[str, Any]:
    mapped: dict[str, list[str]] = {}
    for mapping in callform.mappings.all():
        mapped.setdefault(mapping.parameter, []).append(mapping.value)
    placeholders: dict[str, str] = {}
    bad: list[str] = []
    for key in request.GET:
        value = request.GET.get(key, "")
        if key.startswith("ph_") and value.strip():
            if PLACEHOLDER_RE.match(value.strip()):
                placeholders[key[3:].lower()] = value.strip()
            else:
                bad.append(key[3:])
    slots = slots_for(mapped, placeholders)
    url = build(request.build_absolute_uri("/"), callform.report_ver, slots)
    return {
        "slots": slots,
        "url": url,
        "sample_length": len(url.sample),
        "limit": URL_LENGTH_LIMIT,
        "bad_placeholders": bad,
    }


def _reading(org: Organization, url: str) -> dict[str, Any]:
    try:
        pairs = pairs_from_url(url)
        reading = read_call(org, pairs)
    except NotATelephonyUrl as exc:
        return {"error": str(exc)}
    except MissingReportVer:
        return {"error": "The URL has no reportVer, so no form would open: the endpoint answers 400 (bad request)."}
    except UnknownForm as exc:
        return {
            "error": f"No open form of your organization has reportVer `{str(exc)[:64]}`: the endpoint answers 404. "
            "Check the number, and whether the form is retired."
        }
    definition = reading.revision.definition
    labels = {f.key: f.label for f in definition.fields}
    agent_reason = ""
    if reading.agent is None:
        agent_reason = next((n for n in reading.notices if n.startswith("Agent `")), "") or (
            "No agent was sent: the field is filled with the specialist who saves the report."
        )
    return {
        "reading": reading,
        "agent_reason": agent_reason,
        "call_start_local": reading.call_start.astimezone(org.zone),
        "call_start_sent": bool(read_params(reading.pairs).get("callstart")),
        "placements": [(p, labels.get(p.field_key, p.field_key)) for p in reading.placements],
        "values": [(labels.get(k, k), v) for k, v in reading.values.items()],
    }


@admin_required
@require_http_methods(["GET", "POST"])
def form_url(request: HttpRequest, public_id: UUID) -> HttpResponse:
    callform = org_form(request, public_id)
    context: dict[str, Any] = {"callform": callform, **_builder(request, callform)}
    status = 200
    if request.method == "POST":
        tester = TesterForm(request.POST)
        if tester.is_valid():
            context.update(_reading(admin_org(request), tester.cleaned_data["url"]))
        else:
            status = 400
    else:
        tester = TesterForm(initial={"url": context["url"].sample})
    context["tester"] = tester
    return render(request, "configure/form_url.html", context, status=status)
