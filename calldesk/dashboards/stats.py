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

from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import ExtractHour, TruncDate
from django.db.models.lookups import GreaterThan

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
    # Few scans of the range, each grouped by several columns at once: the charts are sums of these.
    overview = _grouped(reports.annotate(wait_bucket=_wait_bucket()), "status", "call_type", "agent_id", "wait_bucket")
    statuses = _sum_by(overview, 0)
    times = _grouped(
        reports.annotate(day=TruncDate("call_start", tzinfo=zone), hour=ExtractHour("call_start", tzinfo=zone)),
        "day",
        "hour",
    )
    hangups = _sum_by(_grouped(reports.exclude(status=Status.SUBMITTED).filter(call__ended_at__isnull=False), "call__end_reason"), 0)
    total = sum(statuses.values())
    submitted = statuses.get(Status.SUBMITTED, 0)
    charts = [
        _per_hour(_sum_by(times, 1)),
        _per_day(_sum_by(times, 0), start, end),
        _chart("outcome", "Calls by outcome", statuses, dict(Status.choices)),
        _chart("hangups", "Ended by the phone system, no submitted report", hangups, {"": "unknown reason"}),
        _per_agent(_sum_by(overview, 2), organization),
        _chart("call_type", "Calls per call type", _sum_by(overview, 1), call_type_labels(organization, form)),
        *_per_choice(reports, organization, form),
        _time_to_submit(_sum_by(overview, 3)),
    ]
    return Dashboard(total, submitted, total - submitted, sum(hangups.values()), charts)


def _grouped(reports: QuerySet[CallReport], *columns: str) -> list[tuple[Any, ...]]:
    """(value of each column…, count) for every combination present."""
    return list(reports.order_by().values_list(*columns).annotate(n=Count("id")))


def _sum_by(rows: list[tuple[Any, ...]], index: int) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for row in rows:
        counts[row[index]] = counts.get(row[index], 0) + row[-1]
    return counts


def _chart(chart_id: str, title: str, counts: dict[Any, int], labels: dict[Any, str]) -> Chart:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return Chart(
        chart_id,
        title,
        "bars",
        [labels.get(key, NONE_LABEL if key in (None, "") else str(key)) for key, _ in ordered],
        [n for _, n in ordered],
    )


def _per_hour(counts: dict[int, int]) -> Chart:
    hours = range(24)
    return Chart("hour", "Calls per hour of day", "columns", [f"{h:02d}" for h in hours], [counts.get(h, 0) for h in hours])


def _per_day(counts: dict[date, int], start: date, end: date) -> Chart:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return Chart("day", "Calls per day", "columns", [d.isoformat() for d in days], [counts.get(d, 0) for d in days])


def _per_agent(counts: dict[int | None, int], organization: Organization) -> Chart:
    names: dict[Any, str] = {u.pk: u.display_name for u in User.objects.filter(organization=organization)}
    return _chart("agent", "Calls per agent", counts, {**names, None: "(no agent)"})


def _per_choice(reports: QuerySet[CallReport], organization: Organization, form: CallForm | None) -> list[Chart]:
    """One chart per choice field (language, incoming line, …), matched by key across revisions."""
    charts = []
    for item in report_fields(organization, form):
        if item.type not in CHOICE_TYPES:
            continue
        grouped = _sum_by(_grouped(reports.annotate(choice=KeyTextTransform(item.key, "values")), "choice"), 0)
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


def _wait_bucket() -> Case:
    """Which WAIT_BUCKETS entry a submitted report falls in; -1 for every other report."""
    wait = ExpressionWrapper(F("submitted_at") - F("call_start"), output_field=DurationField())
    whens = [When(~Q(status=Status.SUBMITTED) | Q(submitted_at__isnull=True), then=Value(-1))]
    for index, (_, upper) in enumerate(WAIT_BUCKETS):
        if upper is not None:
            whens.append(When(GreaterThan(Value(upper, output_field=DurationField()), wait), then=Value(index)))
    return Case(*whens, default=Value(len(WAIT_BUCKETS) - 1), output_field=IntegerField())


def _time_to_submit(counts: dict[int, int]) -> Chart:
    return Chart(
        "time_to_submit",
        "Time from call start to submit",
        "bars",
        [label for label, _ in WAIT_BUCKETS],
        [counts.get(index, 0) for index in range(len(WAIT_BUCKETS))],
    )
