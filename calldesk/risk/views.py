"""Raise and record imminent risk from the editor, take it from the console, and the admins'
webhook page (/configure/risk-webhook/)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST

from calldesk.accounts.access import admin_required, current_user, supervisor_required
from calldesk.reports.models import CallReport
from calldesk.reports.services import can_edit, can_view
from calldesk.risk import services
from calldesk.risk.forms import EmergencyForm
from calldesk.risk.models import EmergencyRecord, RiskEvent, RiskWebhook


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _report(request: HttpRequest, public_id: UUID) -> CallReport:
    """The report if this user may change it, else 404: outsiders never learn what exists."""
    report = CallReport.objects.select_related("organization", "call").filter(public_id=public_id).first()
    if report is None or not can_edit(current_user(request), report):
        raise Http404("No such report")
    return report


def _risk(request: HttpRequest, public_id: UUID) -> RiskEvent:
    user = current_user(request)
    risk = RiskEvent.objects.select_related("report").filter(public_id=public_id).first()
    if risk is None or risk.organization_id != user.organization_id or not can_view(user, risk.report):
        raise Http404("No such risk event")
    return risk


def panel_context(report: CallReport, user: Any, form: EmergencyForm | None = None) -> dict[str, Any]:
    risk = services.risk_of(report)
    record = EmergencyRecord.objects.filter(report=report).first() if risk is not None else None
    return {
        "report": report,
        "risk": risk,
        "record": record,
        # The record's form shows only once risk was raised: no form to build on an ordinary pop.
        "emergency_form": form or (EmergencyForm.of(record, report.organization.zone) if risk is not None else None),
        "refusal": services.refusal_of(risk, record),
        "can_take_over": user.is_supervisor and risk is not None and risk.taken_over_at is None,
        "zone": report.organization.time_zone,
    }


def _panel(
    request: HttpRequest, report: CallReport, form: EmergencyForm | None = None, status: int = 200
) -> HttpResponse:
    """The editor's risk panel: its HTML for the panel's script, else back to the editor."""
    if _wants_json(request):
        html = render_to_string(
            "risk/_panel_body.html", panel_context(report, current_user(request), form), request=request
        )
        return JsonResponse({"ok": status == 200, "html": html}, status=status)
    if status != 200:
        messages.error(request, "The emergency record was not saved: fix the marked fields in the risk panel.")
    return redirect(report)


@require_POST
@login_required
def raise_risk(request: HttpRequest, public_id: UUID) -> HttpResponse:
    report = _report(request, public_id)
    try:
        services.raise_risk(report, current_user(request))
    except services.RiskRefused as refused:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": str(refused)}, status=409)
        messages.error(request, str(refused))
    return _panel(request, report)


@require_POST
@login_required
def record_emergency(request: HttpRequest, public_id: UUID) -> HttpResponse:
    report = _report(request, public_id)
    form = EmergencyForm(report.organization.zone, request.POST)
    if not form.is_valid():
        return _panel(request, report, form, status=400)
    try:
        services.record_emergency(report, current_user(request), form.cleaned_data)
    except services.RiskRefused as refused:
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": str(refused)}, status=409)
        messages.error(request, str(refused))
    return _panel(request, report)


@require_POST
@supervisor_required
def take(request: HttpRequest, public_id: UUID) -> HttpResponse:
    risk = services.take_risk(_risk(request, public_id), current_user(request))
    if _wants_json(request):
        return JsonResponse({"ok": True, "risk": services.console_data(risk)})
    return redirect("push-console")


@require_POST
@supervisor_required
def take_over(request: HttpRequest, public_id: UUID) -> HttpResponse:
    risk = services.take_over_record(_risk(request, public_id), current_user(request))
    messages.success(request, "You took the emergency record over: the report may be submitted without its outcome.")
    return _panel(request, risk.report)


class WebhookForm(forms.Form):
    url = forms.URLField(label="Webhook URL", max_length=500, assume_scheme="https")

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if not url.startswith(("https://", "http://")):
            raise forms.ValidationError("Only an http or https address.")
        return url


@require_http_methods(["GET", "POST"])
@admin_required
def webhook(request: HttpRequest) -> HttpResponse:
    organization_id = current_user(request).organization_id
    assert organization_id is not None
    hook = RiskWebhook.objects.filter(organization_id=organization_id).first()
    form = WebhookForm(request.POST or None, initial={"url": hook.url if hook else ""})
    secret = ""
    if request.method == "POST":
        if request.POST.get("remove"):
            services.remove_webhook(organization_id)
            messages.success(request, "The risk webhook was removed: risk events are no longer posted.")
            return redirect("risk-webhook")
        if form.is_valid():
            # A new secret each time: shown on this page once, never again.
            secret = services.set_webhook(organization_id, form.cleaned_data["url"])
            hook = RiskWebhook.objects.get(organization_id=organization_id)
    context = {
        "section": "risk-webhook",
        "form": form,
        "hook": hook,
        "secret": secret,
        "deliveries": services.recent_deliveries(organization_id),
        "header": services.SIGNATURE_HEADER,
    }
    return render(request, "risk/webhook.html", context, status=400 if form.errors else 200)
