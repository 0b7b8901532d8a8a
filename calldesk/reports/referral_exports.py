"""The second CSV of a filtered report list: one row per referral (a service given, or an
unmet need) from the snapshot each report keeps, for funders' and I&R reporting that counts
referrals rather than calls. The same filter, the same visibility, the same neutralised text
and the same export record as the list's CSV (exports.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase, StreamingHttpResponse

from calldesk.callforms.definition import FieldType
from calldesk.lib.sealed import is_sealed_value
from calldesk.reports import exports
from calldesk.reports.models import CallReport, ExportRecord

HEADERS = [
    "Report",
    "Call start",
    "Field",
    "Kind",
    "Service id",
    "Service",
    "Organization",
    "Phone",
    "Address",
    "Unmet need id",
    "Unmet need",
    "Unmet need code",
]
SERVICE, UNMET = "service", "unmet need"


def has_referrals(plan: exports.ExportPlan) -> bool:
    return any(item.type == FieldType.REFERRALS for item in plan.fields)


def referral_rows(plan: exports.ExportPlan, reports: QuerySet[CallReport]) -> Iterator[list[str]]:
    """One list of cells per referral of each report, in the report's order."""
    fields = [(item.key, item.label) for item in plan.fields if item.type == FieldType.REFERRALS]
    labels = [label for _, label in fields]
    named = {key: exports.neutralise(f"{label} ({key})" if labels.count(label) > 1 else label) for key, label in fields}
    rows = reports.values_list("public_id", "call_start", "values").iterator(chunk_size=exports.CHUNK)
    for public_id, call_start, values in rows:
        when = call_start.astimezone(plan.zone).isoformat(" ", "seconds")[:19] if call_start else ""
        for key, _ in fields:
            value = (values or {}).get(key)
            if not isinstance(value, dict) or is_sealed_value(value):
                continue
            start = [str(public_id), when, named[key]]
            for given in value.get("services", []):
                yield [
                    *start,
                    SERVICE,
                    *(_text(given.get(k)) for k in ("id", "name", "organization", "phone", "address")),
                    "",
                    "",
                    "",
                ]
            for need in value.get("unmet", []):
                yield [*start, UNMET, "", "", "", "", "", *(_text(need.get(k)) for k in ("id", "name", "code"))]


def _text(value: Any) -> str:
    return exports.neutralise(value) if isinstance(value, str) else ""


def csv_lines(plan: exports.ExportPlan, reports: QuerySet[CallReport], record: ExportRecord) -> Iterator[str]:
    return exports.csv_text(HEADERS, referral_rows(plan, reports), record)


def csv_response(plan: exports.ExportPlan, reports: QuerySet[CallReport], record: ExportRecord) -> HttpResponseBase:
    response = StreamingHttpResponse(csv_lines(plan, reports, record), content_type="text/csv; charset=utf-8")
    name = exports.filename(record, "csv").replace("reports-", "referrals-", 1)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
