"""The dashboards' one reading of reports and calls: a `Tally` per day and form.

Every figure counts the calls of the chosen days in the organization's zone: reports by their
call start (a screen pop opens a draft; a draft withdrawn because another specialist answered is
not a call of its own), and calls a phone system posted that never got a draft (nobody was
resolved as their agent) by when they arrived. `count_days` counts a range of days, each day and
form apart, in a few grouped queries; the dashboards keep the tallies of settled days (rollup)
and add tallies up for the range asked (stats). Nothing here reads phone numbers or personal
fields in clear, so retention changes a count only where it blanks a personal choice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, Trunc

from calldesk.accounts.models import Organization
from calldesk.callforms.definition import CHOICE_TYPES
from calldesk.callforms.models import CallForm
from calldesk.lib.sealed import HASHED
from calldesk.reports.models import CallReport, Status
from calldesk.reports.search import FilterField
from calldesk.resources.referral_stats import count_referrals, place_candidates, referral_keys
from calldesk.telephony.ending import live_since
from calldesk.telephony.models import Call, CallSource

# Changing what is counted, or how, changes this: days kept under another version are counted again.
VERSION = 3

# Time from call start to submit, in buckets a supervisor reads at a glance.
WAIT_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("under 5 min", timedelta(minutes=5)),
    ("5–15 min", timedelta(minutes=15)),
    ("15–60 min", timedelta(hours=1)),
    ("1–4 h", timedelta(hours=4)),
    ("4–24 h", timedelta(days=1)),
    ("over a day", None),
]

# What the phone systems said of each call, whether or not it has a report (answers.py says
# what each outcome means). The causes that mean the caller hung up first:
CALLER_GAVE_UP = ("cancel", "normalClearing")
# How long an abandoning caller waited (from the call's arrival to its end).
ABANDON_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("under 30 s", timedelta(seconds=30)),
    ("30–60 s", timedelta(seconds=60)),
    ("1–2 min", timedelta(minutes=2)),
    ("over 2 min", None),
]
ANSWERED, ABANDONED, MISSED, LIVE = "answered", "abandoned", "missed", "live"

SORT_MEMORY = "64MB"
HASH_MEMORY_MULTIPLIER = 16  # of SORT_MEMORY, for hash tables (see tuned)
# PostgreSQL's GROUPING() takes at most 31 columns; an organization with more choice fields
# gets one query per set instead.
GROUPING_MAX_COLUMNS = 31

# A tally's parts, each counting keys of its own shape:
STATUS = "status"  # (status,) of reports
CALL_TYPE = "call_type"  # (call type,)
AGENT = "agent"  # (agent's id or None,)
WAIT = "wait"  # (WAIT_BUCKETS index, -1 for a report not submitted,)
HOUR = "hour"  # (hour of the day,) of reports
FIELD = "field"  # (choice field's key, one value chosen: a label, a sealed one's hash, or "")
HANGUP = "hangup"  # (cause,) of reports not submitted whose call the phone system ended
LONE_HOUR = "lone_hour"  # (hour of the day,) of calls without a report
LONE_HANGUP = "lone_hangup"  # (cause,) of ended calls without a report
ANSWER = "answer"  # (outcome, ABANDON_BUCKETS index) of every call


class Tally:
    """Counts of one day and form, or added up over many."""

    def __init__(self) -> None:
        self.parts: dict[str, Counter[tuple[Any, ...]]] = {}

    def part(self, name: str) -> Counter[tuple[Any, ...]]:
        return self.parts.setdefault(name, Counter())

    def by(self, name: str) -> dict[Any, int]:
        """A one-column part as {value: count}."""
        return {key[0]: n for key, n in self.parts.get(name, Counter()).items()}

    def calls(self) -> int:
        """Calls counted: reports and calls without one."""
        return sum(self.parts.get(HOUR, Counter()).values()) + sum(self.parts.get(LONE_HOUR, Counter()).values())

    def add(self, other: Tally) -> None:
        for name, counts in other.parts.items():
            self.part(name).update(counts)

    def to_json(self) -> dict[str, list[list[Any]]]:
        return {name: [[*key, n] for key, n in counts.items()] for name, counts in self.parts.items() if counts}

    @classmethod
    def from_json(cls, data: dict[str, list[list[Any]]]) -> Tally:
        tally = cls()
        for name, rows in data.items():
            tally.parts[name] = Counter({tuple(row[:-1]): row[-1] for row in rows})
        return tally


Tallies = dict[tuple[date, int], Tally]  # (day in the zone, form id) → its counts


def count_days(
    organization: Organization,
    lower: datetime,
    upper: datetime,
    fields: list[FilterField],
    form: CallForm | None = None,
    now: datetime | None = None,
) -> Tallies:
    """The tallies of the reports and calls in [lower, upper), per day in the zone and form.

    `fields`: the choice fields to count (every one of the organization's, when the tallies are
    kept). `now` decides which calls are still live."""
    zone = organization.zone
    tallies: Tallies = {}

    def tally(day: Any, form_id: int) -> Tally:
        key = (_local(day).date(), form_id)
        found = tallies.get(key)
        if found is None:
            found = tallies[key] = Tally()
        return found

    reports = CallReport.objects.filter(organization=organization, call_start__gte=lower, call_start__lt=upper)
    reports = reports.exclude(status=Status.ANSWERED_ELSEWHERE)
    calls = Call.objects.filter(organization=organization, received_at__gte=lower, received_at__lt=upper)
    if form is not None:
        reports, calls = reports.filter(form=form), calls.filter(form=form)
    choice_fields = [item for item in fields if item.type in CHOICE_TYPES]
    dimensions: dict[str, Any] = {
        "form": F("form_id"),
        "day": Trunc("call_start", "day", tzinfo=zone),
        "hour": Trunc("call_start", "hour", tzinfo=zone),
        "status": F("status"),
        "call_type": F("call_type"),
        "agent": F("agent_id"),
        "wait": _wait_bucket(),
        **{f"field_{item.key}": _choice_value(item) for item in choice_fields},
    }
    overview = ("form", "day", "status", "call_type", "agent", "wait")
    fields_sets = {("form", "day", f"field_{item.key}"): item.key for item in choice_fields}
    # Ended by the phone system: a call its report ended (no hang-up came before the report was
    # finished, calldesk.telephony.ending) is not one.
    unsubmitted = (
        reports.exclude(status=Status.SUBMITTED)
        .filter(call__ended_at__isnull=False)
        .exclude(submitted_at__isnull=False, call__ended_at__gte=F("submitted_at"))
    )
    with tuned(reports.db):
        grouped = count_by_sets(reports, dimensions, [overview, ("form", "hour"), *fields_sets])
        hangups = _grouped(unsubmitted.annotate(day=dimensions["day"]), "form_id", "day", "call__end_reason")
        lone = _calls_without_report(calls, zone)
        answers = _grouped(
            calls.annotate(day=Trunc("received_at", "day", tzinfo=zone), o=_outcome(now), b=_abandon_bucket()),
            "form_id",
            "day",
            "o",
            "b",
        )
    for form_id, day, status, call_type, agent, wait, n in grouped[overview]:
        counts = tally(day, form_id)
        counts.part(STATUS)[(status,)] += n
        counts.part(CALL_TYPE)[(call_type,)] += n
        counts.part(AGENT)[(agent,)] += n
        counts.part(WAIT)[(wait,)] += n
    for form_id, hour, n in grouped[("form", "hour")]:
        tally(hour, form_id).part(HOUR)[(_local(hour).hour,)] += n
    for names, key in fields_sets.items():
        for form_id, day, text, n in grouped[names]:
            counts = tally(day, form_id)
            # A multi-choice report counts once for each value chosen.
            for value in _labels(text):
                counts.part(FIELD)[(key, value)] += n
    for form_id, day, reason, n in hangups:
        tally(day, form_id).part(HANGUP)[(reason,)] += n
    for form_id, hour, has_ended, reason, n in lone:
        counts = tally(hour, form_id)
        counts.part(LONE_HOUR)[(_local(hour).hour,)] += n
        if has_ended:
            counts.part(LONE_HANGUP)[(reason,)] += n
    for form_id, day, outcome, bucket, n in answers:
        tally(day, form_id).part(ANSWER)[(outcome, bucket)] += n
    keys = referral_keys(fields)
    if keys:
        # Referrals are lists of services inside each report's values: read report by report, in
        # call start order (an area is shown as first spelled).
        places = place_candidates(fields)
        rows = reports.order_by("call_start").values_list("call_start", "form_id", "revision_id", "values")
        for start, form_id, revision_id, values in rows.iterator(chunk_size=2000):
            count_referrals(revision_id, values, keys, places, tally(start.astimezone(zone), form_id).part)
    return tallies


def _calls_without_report(calls: QuerySet[Call], zone: Any) -> list[tuple[Any, ...]]:
    """(form id, hour, ended, cause, count) of the calls that have no report."""
    # NOT EXISTS, not a left join: the planner can then read the reports' unique call index
    # alone (an anti join) instead of every report's row.
    calls = calls.filter(~Exists(CallReport.objects.filter(call=OuterRef("pk"))))
    hour = Trunc("received_at", "hour", tzinfo=zone)
    ended = Case(When(ended_at__isnull=True, then=Value(False)), default=Value(True))
    return _grouped(calls.annotate(h=hour, ended=ended), "form_id", "h", "ended", "end_reason")


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
    month of a busy line under a second. SQLite groups by every dimension at once and each set is
    summed here: its time functions are Python called per row, so one query computes each row's
    day and hour once instead of once per set."""
    connection = connections[reports.db]
    # Prefixed, so no dimension's name clashes with a model field.
    aliased = {f"g_{name}": expression for name, expression in dimensions.items()}
    order = list(dimensions)
    if connection.vendor != "postgresql":
        summed: dict[tuple[str, ...], Counter[tuple[Any, ...]]] = {names: Counter() for names in sets}
        places = {names: [order.index(n) for n in names] for names in sets}
        for row in _grouped(reports.annotate(**aliased), *aliased):
            for names, counts in summed.items():
                counts[tuple(row[i] for i in places[names])] += row[-1]
        return {names: [(*key, n) for key, n in counts.items()] for names, counts in summed.items()}
    if len(dimensions) > GROUPING_MAX_COLUMNS:
        return {
            names: _grouped(reports.annotate(**{f"g_{n}": dimensions[n] for n in names}), *(f"g_{n}" for n in names))
            for names in sets
        }
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


def _grouped(rows: QuerySet[Any], *columns: str) -> list[tuple[Any, ...]]:
    """(value of each column…, count) for every combination present."""
    return list(rows.order_by().values_list(*columns).annotate(n=Count("id")))


def _local(moment: datetime) -> datetime:
    # The ORM gives a truncated time as an aware time in the zone, the one-scan query as a naive one.
    return moment.replace(tzinfo=None)


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


def _choice_value(item: FilterField) -> Any:
    value = KeyTextTransform(item.key, "values")
    if not item.personal:
        return value
    # A personal choice is sealed: counted by its keyed hash (in clear in older revisions).
    return Coalesce(KeyTextTransform(HASHED, KeyTransform(item.key, "values")), value)


class Within(Func):
    """Whether `end` came less than `limit` after `start`, in the database's own arithmetic. On
    PostgreSQL an interval compared with an interval; on SQLite days from `julianday` (Django's
    subtraction of times there is a Python function called per row: a third of the time of
    counting the last days of a million reports), in seconds to the millisecond."""

    output_field = BooleanField()

    def __init__(self, start: str, end: str, limit: timedelta) -> None:
        super().__init__(F(end), F(start), Value(limit, output_field=DurationField()))
        self.limit = limit

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        (end, end_params), (start, start_params), (limit, limit_params) = self._compiled(compiler)
        return f"(({end} - {start}) < {limit})", (*end_params, *start_params, *limit_params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        (end, end_params), (start, start_params), _ = self._compiled(compiler)
        # julianday is a day count in a double: rounded to the millisecond, 5 minutes is 300.0.
        sql = f"(ROUND((julianday({end}) - julianday({start})) * 86400.0, 3) < %s)"
        return sql, (*end_params, *start_params, self.limit.total_seconds())

    def _compiled(self, compiler: Any) -> list[tuple[str, tuple[Any, ...]]]:
        return [(sql, tuple(params)) for sql, params in map(compiler.compile, self.get_source_expressions())]


def _wait_bucket() -> Case:
    """Which WAIT_BUCKETS entry a submitted report falls in; -1 for every other report."""
    whens = [When(~Q(status=Status.SUBMITTED) | Q(submitted_at__isnull=True), then=Value(-1))]
    for index, (_, upper) in enumerate(WAIT_BUCKETS):
        if upper is not None:
            whens.append(When(Within("call_start", "submitted_at", upper), then=Value(index)))
    return Case(*whens, default=Value(len(WAIT_BUCKETS) - 1), output_field=IntegerField())


def _outcome(now: datetime | None) -> Case:
    return Case(
        When(
            Q(answered_at__isnull=False)
            | Q(source=CallSource.URL)
            # Its report ended it: finished before any hang-up came (calldesk.telephony.ending).
            # Asked only of calls not answered otherwise, by their report's index (a join read
            # every report of the range: most of a year's query).
            | Exists(
                CallReport.objects.filter(
                    call=OuterRef("pk"),
                    status__in=[Status.SUBMITTED, Status.CLOSED],
                    submitted_at__lte=OuterRef("ended_at"),
                )
            ),
            then=Value(ANSWERED),
        ),
        When(ended_at__isnull=True, received_at__gte=live_since(now), then=Value(LIVE)),
        When(ended_at__isnull=False, end_reason__in=CALLER_GAVE_UP, then=Value(ABANDONED)),
        default=Value(MISSED),
    )


def _abandon_bucket() -> Case:
    whens = [
        When(Within("received_at", "ended_at", upper), then=Value(index))
        for index, (_, upper) in enumerate(ABANDON_BUCKETS)
        if upper is not None
    ]
    return Case(*whens, default=Value(len(ABANDON_BUCKETS) - 1), output_field=IntegerField())
