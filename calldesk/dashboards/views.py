"""The supervisors' dashboards: a date range and a form, and charts drawn in the page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from calldesk.accounts.access import current_user, supervisor_required
from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm
from calldesk.dashboards.stats import build_dashboard
from calldesk.lib.datefields import BoundedDateField
from calldesk.lib.querystrings import tidy_redirect
from calldesk.reports.filter_words import FilterWords
from calldesk.reports.models import ExportRecord, RetentionRun

DEFAULT_DAYS = 30
RECENT_EXPORTS = 10
# A longer range is an export's job; this keeps every chart one quick indexed query.
MAX_DAYS = 366


class DashboardFilterForm(forms.Form):
    def __init__(self, organization: Organization, data: Any = None) -> None:
        super().__init__(data)
        today = timezone.localdate(timezone=organization.zone)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = BoundedDateField(required=False, label="From", widget=date_input)
        self.fields["to"] = BoundedDateField(required=False, label="To", widget=date_input)
        self.fields["form"] = forms.ModelChoiceField(
            CallForm.objects.filter(organization=organization).order_by("name"),
            required=False,
            to_field_name="public_id",
            empty_label="All forms",
            label="Form",
        )
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        end: date = data.get("to") or self.today
        start: date = data.get("from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            self.add_error("to", "The end date is before the start date.")
        elif (end - start).days >= MAX_DAYS:
            self.add_error("from", f"Choose at most {MAX_DAYS} days; export longer ranges from the report list.")
        data["from"], data["to"] = start, end
        return data


@supervisor_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    organization = current_user(request).organization
    assert organization is not None
    tidied = tidy_redirect(request)
    if tidied is not None:
        return tidied
    # An empty query is valid too: the last 30 days of every form.
    form = DashboardFilterForm(organization, request.GET)
    if not form.is_valid():
        return render(request, "dashboards/dashboard.html", {"form": form, "board": None}, status=400)
    data = form.cleaned_data
    board = build_dashboard(organization, data["from"], data["to"], data.get("form"))
    words = FilterWords(organization)
    exports = ExportRecord.objects.filter(organization=organization).select_related("user").order_by("-started_at")
    context = {
        "form": form,
        "board": board,
        "answers": board.answers.counts,
        "charts": board.charts_json(),
        "start": data["from"],
        "end": data["to"],
        "exports": [(record, words.words(record.filters)) for record in exports[:RECENT_EXPORTS]],
        "retention": RetentionRun.objects.filter(organization=organization).first(),
    }
    return render(request, "dashboards/dashboard.html", context)
