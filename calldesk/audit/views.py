"""`/audit/`: the organization's access log for its admins, filtered by who, what, when,
report and phone number, and downloadable as CSV (`?export=csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from calldesk.accounts.access import admin_required, current_user
from calldesk.accounts.models import Organization, User
from calldesk.audit.models import AccessEvent
from calldesk.lib.crypto import phone_hash
from calldesk.lib.datefields import BoundedDateField
from calldesk.reports import lists
from calldesk.reports.exports import neutralise
from calldesk.reports.filter_words import FilterWords
from calldesk.reports.search import PhoneQueryField, day_range

PAGE_SIZE = 100
CSV_COLUMNS = ["when", "who", "action", "report", "by phone number", "address", "details"]


class AccessFilterForm(forms.Form):
    def __init__(self, organization: Organization, data: Any = None) -> None:
        super().__init__(data)
        self.organization = organization
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["user"] = forms.ModelChoiceField(
            User.objects.filter(organization=organization).order_by("name", "email"),
            required=False,
            to_field_name="public_id",
            empty_label="Anyone",
            label="Who",
        )
        self.fields["action"] = forms.ChoiceField(
            choices=[("", "Anything"), *AccessEvent.Action.choices], required=False, label="What"
        )
        self.fields["from"] = BoundedDateField(required=False, label="From", widget=date_input)
        self.fields["to"] = BoundedDateField(required=False, label="To", widget=date_input)
        self.fields["report"] = forms.UUIDField(required=False, label="Report id")
        self.fields["phone"] = PhoneQueryField(
            organization.phone_region, help_text="Searches and exports by this number."
        )

    def events(self) -> QuerySet[AccessEvent]:
        data = self.cleaned_data
        events = AccessEvent.objects.filter(organization=self.organization)
        if data.get("user"):
            events = events.filter(user=data["user"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        start: date | None = data.get("from")
        end: date | None = data.get("to")
        lower, upper = day_range(start, end, self.organization.zone)
        if lower:
            events = events.filter(at__gte=lower)
        if upper:
            events = events.filter(at__lt=upper)
        if data.get("report"):
            events = events.filter(report=data["report"])
        if data.get("phone"):
            events = events.filter(phone_digest=phone_hash(data["phone"]))
        return events.order_by("-at", "-id")


@admin_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponseBase:
    organization = current_user(request).organization
    assert organization is not None
    form = AccessFilterForm(organization, request.GET)
    if not form.is_valid():
        if request.GET.get("export"):
            return HttpResponse(
                "The filter has errors; fix them on the page first.", status=400, content_type="text/plain"
            )
        return render(request, "audit/access_log.html", {"form": form, "page": None}, status=400)
    events = form.events()
    if request.GET.get("export") == "csv":
        return _csv(events, organization)
    query = request.GET.copy()
    query.pop("page", None)
    try:
        # Counted up to COUNT_CAP and no deeper than DEEP_ROWS, as the report list is: the log of
        # a busy organization holds tens of millions of entries, and counting them all on every
        # page took seconds.
        page = lists.capped_page(events, request.GET.get("page"), PAGE_SIZE)
    except lists.TooDeep as deep:
        deep_context = {"form": form, "page": None, "too_deep": deep.number, "deep_rows": f"{lists.DEEP_ROWS:,}"}
        return render(request, "audit/access_log.html", deep_context)
    words = FilterWords(organization)
    rows = [(event, words.details(event.details)) for event in page.object_list]
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "count_cap": f"{lists.COUNT_CAP:,}",
    }
    return render(request, "audit/access_log.html", context)


def _csv(events: QuerySet[AccessEvent], organization: Organization) -> StreamingHttpResponse:
    zone = organization.zone
    words = FilterWords(organization)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=500):
            writer.writerow(
                [
                    event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
                    neutralise(event.actor),
                    event.get_action_display(),
                    str(event.report or ""),
                    "yes" if event.phone_digest else "",
                    event.address or "",
                    neutralise("; ".join(f"{key}: {value}" for key, value in words.details(event.details))),
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    stamp = timezone.localtime(timezone=zone).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}.csv"'
    return response
