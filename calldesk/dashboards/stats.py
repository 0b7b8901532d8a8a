"""The figures behind the supervisors' dashboards, one grouped query per chart.

Every figure counts the calls of the chosen days in the organization's zone, optionally of one
form: reports by their call start (a screen pop opens a draft), and calls a phone system posted
that never got a draft (nobody was resolved as their agent) by when they arrived.
Nothing here reads phone numbers or personal fields, so retention does not change it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, Trunc
from django.db.models.lookups import GreaterThan

from calldesk.accounts.models import Organization, User
from calldesk.callforms.definition import CHOICE_TYPES
from calldesk.callforms.models import CallForm
from calldesk.lib.sealed import HASHED, value_hash
from calldesk.reports.models import CallReport, Status
from calldesk.reports.search import FilterField, call_type_labels, day_range, report_fields
from calldesk.resources.referral_stats import referral_counts
from calldesk.telephony.models import Call

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
SORT_MEMORY = "64MB"
HASH_MEMORY_MULTIPLIER = 16  # of SORT_MEMORY, for hash tables (see tuned)
# PostgreSQL's GROUPING() takes at most 31 columns; an organization with more choice fields
# gets one query per chart instead.
GROUPING_MAX_COLUMNS = 31


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
    unassigned: int = 0  # calls without a draft (among `unsubmitted`)

    def charts_json(self) -> list[dict[str, Any]]:
        return [asdict(chart) for chart in self.charts]


def build_dashboard(organization: Organization, start: date, end: date, form: CallForm | None = None) -> Dashboard:
    zone = organization.zone
    lower, upper = day_range(start, end, zone)
    reports = CallReport.objects.filter(organization=organization, call_start__gte=lower, call_start__lt=upper)
    # A draft withdrawn because another specialist answered is not a call of its own.
    reports = reports.exclude(status=Status.ANSWERED_ELSEWHERE)
    if form is not None:
        reports = reports.filter(form=form)
    choice_fields = [item for item in report_fields(organization, form) if item.type in CHOICE_TYPES]
    dimensions: dict[str, Any] = {
        "status": F("status"),
        "call_type": F("call_type"),
        "agent": F("agent_id"),
        "wait": _wait_bucket(),
        "hour": Trunc("call_start", "hour", tzinfo=zone),
        **{f"field_{item.key}": _choice_value(item) for item in choice_fields},
    }
    overview = ("status", "call_type", "agent", "wait")
    # Ended by the phone system: a call its report ended (no hang-up came before the report was
    # finished, calldesk.telephony.ending) is not one.
    unsubmitted = (
        reports.exclude(status=Status.SUBMITTED)
        .filter(call__ended_at__isnull=False)
        .exclude(submitted_at__isnull=False, call__ended_at__gte=F("submitted_at"))
    )
    with tuned(reports.db):
        grouped = count_by_sets(
            reports, dimensions, [overview, ("hour",), *((f"field_{i.key}",) for i in choice_fields)]
        )
        hangups = _sum_by(_grouped(unsubmitted, "call__end_reason"), 0)
        lone = _calls_without_report(organization, lower, upper, form)
    statuses = _sum_by(grouped[overview], 0)
    hours = _sum_by(grouped[("hour",)], 0)
    agents = _sum_by(grouped[overview], 2)
    if lone.count:
        statuses[UNASSIGNED] = lone.count
        agents[None] = agents.get(None, 0) + lone.count
        _add(hours, lone.hours)
        _add(hangups, lone.hangups)
    total = sum(statuses.values())
    submitted = statuses.get(Status.SUBMITTED, 0)
    charts = [
        _per_hour(hours),
        _per_day(hours, start, end),
        _chart("outcome", "Calls by outcome", statuses, {**dict(Status.choices), UNASSIGNED: "No draft (unassigned)"}),
        _chart("hangups", "Ended by the phone system, no submitted report", hangups, {"": "unknown reason"}),
        _per_agent(agents, organization),
        _chart("call_type", "Calls per call type", _sum_by(grouped[overview], 1), call_type_labels(organization, form)),
        *(_per_choice(item, grouped[(f"field_{item.key}",)]) for item in choice_fields),
        _time_to_submit(_sum_by(grouped[overview], 3)),
        *(_chart(*counted, {}) for counted in referral_counts(reports, report_fields(organization, form))),
    ]
    return Dashboard(total, submitted, total - submitted, sum(hangups.values()), charts, unassigned=lone.count)


UNASSIGNED = "unassigned"


@dataclass
class LoneCalls:
    """Calls of the range that have no report: how many, per hour, and the ended ones by cause."""

    count: int
    hours: dict[datetime, int]
    hangups: dict[str, int]


def _calls_without_report(
    organization: Organization, lower: datetime | None, upper: datetime | None, form: CallForm | None
) -> LoneCalls:
    # NOT EXISTS, not a left join: the planner can then read the reports' unique call index
    # alone (an anti join) instead of every report's row.
    calls = Call.objects.filter(organization=organization).filter(
        ~Exists(CallReport.objects.filter(call=OuterRef("pk")))
    )
    if lower:
        calls = calls.filter(received_at__gte=lower)
    if upper:
        calls = calls.filter(received_at__lt=upper)
    if form is not None:
        calls = calls.filter(form=form)
    hour = Trunc("received_at", "hour", tzinfo=organization.zone)
    ended = Case(When(ended_at__isnull=True, then=Value(False)), default=Value(True))
    rows = list(
        calls.order_by().annotate(h=hour, ended=ended).values_list("h", "ended", "end_reason").annotate(n=Count("id"))
    )
    hours: dict[datetime, int] = {}
    hangups: dict[str, int] = {}
    for moment, has_ended, reason, n in rows:
        hours[moment] = hours.get(moment, 0) + n
        if has_ended:
            hangups[reason] = hangups.get(reason, 0) + n
    return LoneCalls(sum(hours.values()), hours, hangups)


def _add(counts: dict[Any, int], more: dict[Any, int]) -> None:
    for key, n in more.items():
        counts[key] = counts.get(key, 0) + n


@contextmanager
def tuned(using: str) -> Iterator[None]:
    """PostgreSQL settings for the dashboard's few big grouped queries, for their transaction only.

    The charts' groups are few (hours of the range, agents, choices: thousands), but the planner
    multiplies the dimensions' distinct values into millions of groups, finds them too big to
    hash, and sorts the whole range once per grouping set instead, spilling to disk (a year of
    500,000 reports: 4.2 s sorting, 2.3 s hashing). So hashing is allowed up to a larger bound
    (a ceiling, not a reservation: hash aggregation uses what the groups need, and spills to
    disk past it) and sorting is the last resort. And the JIT compiler, which the planner starts
    for queries this size, spends longer compiling (0.2 s) than it saves."""
    if connections[using].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
        cursor.execute(f"SET LOCAL hash_mem_multiplier = {HASH_MEMORY_MULTIPLIER}")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL jit = off")
        yield


def count_by_sets(
    reports: QuerySet[CallReport], dimensions: dict[str, Any], sets: list[tuple[str, ...]]
) -> dict[tuple[str, ...], list[tuple[Any, ...]]]:
    """For each set of dimensions, (value of each…, count) for every combination present.

    PostgreSQL computes every set in one scan of the range (GROUPING SETS), which is what keeps a
    month of a busy line under a second; other databases run one grouped query per set."""
    connection = connections[reports.db]
    # Prefixed, so no dimension's name clashes with a model field.
    aliased = {f"g_{name}": expression for name, expression in dimensions.items()}
    if connection.vendor != "postgresql" or len(dimensions) > GROUPING_MAX_COLUMNS:
        return {
            names: _grouped(reports.annotate(**{f"g_{n}": dimensions[n] for n in names}), *(f"g_{n}" for n in names))
            for names in sets
        }
    order = list(dimensions)
    inner, params = reports.order_by().annotate(**aliased).values_list(*aliased).query.sql_with_params()
    columns = [f"d{i}" for i in range(len(order))]
    grouping = ", ".join("(" + ", ".join(columns[order.index(n)] for n in names) + ")" for names in sets)
    listed = ", ".join(columns)
    sql = (
        f"SELECT {listed}, GROUPING({listed}), COUNT(*) FROM ({inner}) AS r({listed}) "  # noqa: S608 - the ORM's SQL and fixed names  # nosec B608
        f"GROUP BY GROUPING SETS ({grouping})"
    )
    # GROUPING() sets a bit, first column highest, for each column NOT grouped in that row.
    masks = {sum(1 << (len(order) - 1 - order.index(n)) for n in order if n not in names): names for names in sets}
    found: dict[tuple[str, ...], list[tuple[Any, ...]]] = {names: [] for names in sets}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            names = masks[row[-2]]
            found[names].append((*(row[order.index(n)] for n in names), row[-1]))
    return found


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


def _local(moment: datetime) -> datetime:
    # The ORM gives the hour as an aware time in the zone, the one-scan query as a naive one.
    return moment.replace(tzinfo=None)


def _per_hour(hours: dict[datetime, int]) -> Chart:
    counts = [0] * 24
    for moment, n in hours.items():
        counts[_local(moment).hour] += n
    return Chart("hour", "Calls per hour of day", "columns", [f"{h:02d}" for h in range(24)], counts)


def _per_day(hours: dict[datetime, int], start: date, end: date) -> Chart:
    counts: dict[date, int] = {}
    for moment, n in hours.items():
        day = _local(moment).date()
        counts[day] = counts.get(day, 0) + n
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return Chart("day", "Calls per day", "columns", [d.isoformat() for d in days], [counts.get(d, 0) for d in days])


def _per_agent(counts: dict[int | None, int], organization: Organization) -> Chart:
    names: dict[Any, str] = {u.pk: u.display_name for u in User.objects.filter(organization=organization)}
    return _chart("agent", "Calls per agent", counts, {**names, None: "(no agent)"})


def _choice_value(item: FilterField) -> Any:
    value = KeyTextTransform(item.key, "values")
    if not item.personal:
        return value
    # A personal choice is sealed: counted by its keyed hash (in clear in older revisions).
    return Coalesce(KeyTextTransform(HASHED, KeyTransform(item.key, "values")), value)


def _per_choice(item: FilterField, grouped: list[tuple[Any, ...]]) -> Chart:
    """A choice field's counts (language, incoming line, …), matched by key across revisions;
    a multi-choice report counts once for each value chosen."""
    counts: dict[str, int] = {}
    hashed = {value_hash(item.key, label): label for label in item.choices} if item.personal else {}
    for text, n in grouped:
        for found in _labels(text):
            label = hashed.get(found, found)
            counts[label] = counts.get(label, 0) + n
    return _chart(f"field-{item.key}", f"Calls per {item.label.lower()}", counts, {})


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
