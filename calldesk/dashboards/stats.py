"""The figures behind the supervisors' dashboards (SPEC §4), one grouped query per chart.

Every figure counts reports (one per call the phone system announced: each screen pop opens
a draft) whose call started in the chosen days of the organization's zone, optionally of one
form. Nothing here reads phone numbers or personal fields, so retention does not change it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import ExtractHour, TruncDate

from calldesk.accounts.models import Organization, User
from calldesk.callforms.definition import CHOICE_TYPES
from calldesk.callforms.models import CallForm
from calldesk.reports.models import CallReport, Status
from calldesk.reports.search import call_type_labels, day_range, report_fields

# Time from call start to submit, in buckets a supervisor reads at a glance.
WAIT_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("under 5 min", timedelta(minutes=5)),
    ("5–15 min", timedelta(minutes=15)),
    ("15–60 min", timedelta(hours=1)),
    ("1–4 h", timedelta(hours=4)),
    ("4–24 h", timedelta(days=1)),
    ("over a day", None),
]
NONE_LABEL = "(none)"


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # "columns" (a time axis) or "bars" (categories)
    labels: list[str]
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)

    @property
    def rows(self) -> list[tuple[str, int]]:
        return list(zip(self.labels, self.values, strict=True))


@dataclass
class Dashboard:
    total: int
    submitted: int
    unsubmitted: int
    hangups_recorded: int
    charts: list[Chart]

    def charts_json(self) -> list[dict[str, Any]]:
        return [asdict(chart) for chart in self.charts]


def build_dashboard(organization: Organization, start: date, end: date, form: CallForm | None = None) -> Dashboard:
    zone = organization.zone
    lower, upper = day_range(start, end, zone)
    reports = CallReport.objects.filter(organization=organization, call_start__gte=lower, call_start__lt=upper)
    if form is not None:
        reports = reports.filter(form=form)
    statuses = _counts(reports, "status")
    total = sum(statuses.values())
    submitted = statuses.get(Status.SUBMITTED, 0)
    unsubmitted_reports = reports.exclude(status=Status.SUBMITTED)
    hangups = _counts(unsubmitted_reports.filter(call__ended_at__isnull=False), "call__end_reason")
    charts = [
        _per_hour(reports, zone),
        _per_day(reports, zone, start, end),
        _chart("outcome", "Calls by outcome", statuses, dict(Status.choices)),
        _chart("hangups", "Ended by the phone system, no submitted report", hangups, {"": "unknown reason"}),
        _per_agent(reports, organization),
        _chart("call_type", "Calls per call type", _counts(reports, "call_type"), call_type_labels(organization, form)),
        *_per_choice(reports, organization, form),
        _time_to_submit(reports),
    ]
    return Dashboard(total, submitted, total - submitted, sum(hangups.values()), charts)


def _counts(reports: QuerySet[CallReport], column: str) -> dict[Any, int]:
    rows = reports.order_by().values_list(column).annotate(n=Count("id"))
    return {key: n for key, n in rows}


def _chart(chart_id: str, title: str, counts: dict[Any, int], labels: dict[Any, str]) -> Chart:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return Chart(
        chart_id,
        title,
        "bars",
        [labels.get(key, NONE_LABEL if key in (None, "") else str(key)) for key, _ in ordered],
        [n for _, n in ordered],
    )


def _per_hour(reports: QuerySet[CallReport], zone: Any) -> Chart:
    counts = _counts(reports.annotate(hour=ExtractHour("call_start", tzinfo=zone)), "hour")
    return Chart("hour", "Calls per hour of day", "columns", [f"{h:02d}" for h in range(24)], [counts.get(h, 0) for h in range(24)])


def _per_day(reports: QuerySet[CallReport], zone: Any, start: date, end: date) -> Chart:
    counts = _counts(reports.annotate(day=TruncDate("call_start", tzinfo=zone)), "day")
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return Chart("day", "Calls per day", "columns", [d.isoformat() for d in days], [counts.get(d, 0) for d in days])


def _per_agent(reports: QuerySet[CallReport], organization: Organization) -> Chart:
    names = {u.pk: u.display_name for u in User.objects.filter(organization=organization)}
    return _chart("agent", "Calls per agent", _counts(reports, "agent_id"), {**names, None: "(no agent)"})


def _per_choice(reports: QuerySet[CallReport], organization: Organization, form: CallForm | None) -> list[Chart]:
    """One chart per choice field (language, incoming line, …), matched by key across revisions."""
    charts = []
    for item in report_fields(organization, form):
        if item.type not in CHOICE_TYPES:
            continue
        grouped = _counts(reports.annotate(choice=KeyTextTransform(item.key, "values")), "choice")
        counts: dict[str, int] = {}
        for text, n in grouped.items():
            for label in _labels(text):
                counts[label] = counts.get(label, 0) + n
        charts.append(_chart(f"field-{item.key}", f"Calls per {item.label.lower()}", counts, {}))
    return charts


def _labels(text: str | None) -> list[str]:
    """A choice value as the database returns it: a label, or a multi-choice list as JSON."""
    if not text:
        return [""]
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            return [text]
        return [str(item) for item in items] or [""]
    return [text]


def _time_to_submit(reports: QuerySet[CallReport]) -> Chart:
    waited = reports.filter(status=Status.SUBMITTED, submitted_at__isnull=False).annotate(
        wait=ExpressionWrapper(F("submitted_at") - F("call_start"), output_field=DurationField())
    )
    aggregates: dict[str, Any] = {}
    lower: timedelta | None = None
    for index, (_, upper) in enumerate(WAIT_BUCKETS):
        condition = Q()
        if lower is not None:
            condition &= Q(wait__gte=lower)
        if upper is not None:
            condition &= Q(wait__lt=upper)
        aggregates[f"b{index}"] = Count("id", filter=condition)
        lower = upper
    counts = waited.aggregate(**aggregates)
    return Chart(
        "time_to_submit",
        "Time from call start to submit",
        "bars",
        [label for label, _ in WAIT_BUCKETS],
        [counts[f"b{i}"] for i in range(len(WAIT_BUCKETS))],
    )
