"""The supervisors' dashboards: charts of a range of days' counts (rollup.counts).

Every figure counts the calls of the chosen days in the organization's zone, optionally of one
form: reports by their call start (a screen pop opens a draft), and calls a phone system posted
that never got a draft (nobody was resolved as their agent) by when they arrived.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from calldesk.accounts.models import Organization, User
from calldesk.callforms.definition import CHOICE_TYPES
from calldesk.callforms.models import CallForm
from calldesk.dashboards import counting
from calldesk.dashboards.answers import Answers
from calldesk.dashboards.charts import Chart
from calldesk.dashboards.counting import WAIT_BUCKETS, Tally
from calldesk.dashboards.rollup import counts
from calldesk.lib.sealed import value_hash
from calldesk.reports.models import Status
from calldesk.reports.search import FilterField, call_type_labels, report_fields
from calldesk.resources.referral_stats import referral_charts

NONE_LABEL = "(none)"
UNASSIGNED = "unassigned"


@dataclass
class Dashboard:
    total: int
    submitted: int
    unsubmitted: int
    hangups_recorded: int
    charts: list[Chart]
    unassigned: int = 0  # calls without a draft (among `unsubmitted`)
    answers: Answers = field(default_factory=lambda: Answers({}, []))

    def charts_json(self) -> list[dict[str, Any]]:
        return [asdict(chart) for chart in self.charts]


def build_dashboard(organization: Organization, start: date, end: date, form: CallForm | None = None) -> Dashboard:
    found = counts(organization, start, end, form)
    tally = found.tally
    statuses = tally.by(counting.STATUS)
    hours = tally.by(counting.HOUR)
    agents = tally.by(counting.AGENT)
    hangups = tally.by(counting.HANGUP)
    lone = sum(tally.by(counting.LONE_HOUR).values())
    if lone:
        statuses[UNASSIGNED] = lone
        agents[None] = agents.get(None, 0) + lone
        _add(hours, tally.by(counting.LONE_HOUR))
        _add(hangups, tally.by(counting.LONE_HANGUP))
    total = sum(statuses.values())
    submitted = statuses.get(Status.SUBMITTED, 0)
    fields = report_fields(organization, form)
    choice_fields = [item for item in fields if item.type in CHOICE_TYPES]
    answers = Answers.of(tally)
    charts = [
        _per_hour(hours),
        _per_day(found.per_day, start, end),
        _chart("outcome", "Calls by outcome", statuses, {**dict(Status.choices), UNASSIGNED: "No draft (unassigned)"}),
        *answers.charts(),  # after the outcomes, before the phone system's causes
        _chart("hangups", "Ended by the phone system, no submitted report", hangups, {"": "unknown reason"}),
        _per_agent(agents, organization),
        _chart("call_type", "Calls per call type", tally.by(counting.CALL_TYPE), call_type_labels(organization, form)),
        *(_per_choice(item, tally) for item in choice_fields),
        _time_to_submit(tally.by(counting.WAIT)),
        *(_chart(*counted, {}) for counted in referral_charts(tally.part, fields)),
    ]
    return Dashboard(
        total, submitted, total - submitted, sum(hangups.values()), charts, unassigned=lone, answers=answers
    )


def _add(counts: dict[Any, int], more: dict[Any, int]) -> None:
    for key, n in more.items():
        counts[key] = counts.get(key, 0) + n


def _chart(chart_id: str, title: str, counts: dict[Any, int], labels: dict[Any, str]) -> Chart:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))
    return Chart(
        chart_id,
        title,
        "bars",
        [labels.get(key, NONE_LABEL if key in (None, "") else str(key)) for key, _ in ordered],
        [n for _, n in ordered],
    )


def _per_hour(hours: dict[int, int]) -> Chart:
    labels = [f"{h:02d}" for h in range(24)]
    return Chart("hour", "Calls per hour of day", "columns", labels, [hours.get(h, 0) for h in range(24)])


def _per_day(per_day: dict[date, int], start: date, end: date) -> Chart:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return Chart("day", "Calls per day", "columns", [d.isoformat() for d in days], [per_day.get(d, 0) for d in days])


def _per_agent(counts: dict[int | None, int], organization: Organization) -> Chart:
    names: dict[Any, str] = {u.pk: u.display_name for u in User.objects.filter(organization=organization)}
    return _chart("agent", "Calls per agent", counts, {**names, None: "(no agent)"})


def _per_choice(item: FilterField, tally: Tally) -> Chart:
    """A choice field's counts (language, incoming line, …), matched by key across revisions;
    a multi-choice report counts once for each value chosen."""
    counts: dict[str, int] = {}
    hashed = {value_hash(item.key, label): label for label in item.choices} if item.personal else {}
    for (key, value), n in tally.part(counting.FIELD).items():
        if key == item.key:
            label = hashed.get(value, value)
            counts[label] = counts.get(label, 0) + n
    return _chart(f"field-{item.key}", f"Calls per {item.label.lower()}", counts, {})


def _time_to_submit(counts: dict[int, int]) -> Chart:
    return Chart(
        "time_to_submit",
        "Time from call start to submit",
        "bars",
        [label for label, _ in WAIT_BUCKETS],
        [counts.get(index, 0) for index in range(len(WAIT_BUCKETS))],
    )
