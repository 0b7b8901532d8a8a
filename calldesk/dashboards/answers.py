"""Answered, abandoned and missed calls: what the phone systems said of each call,
counted whether or not the call has a report.

Every call of the range (by when it arrived, in the organization's zone) is exactly one of:

- **answered**: someone took it (`answered_at` is set; a telephony-URL pop is answered by the
  specialist whose browser opened it; a call whose phone system never said, but whose report a
  specialist submitted or closed before any hang-up came, was taken too);
- **abandoned**: it ended unanswered because the caller hung up (cause `cancel`, or
  `normalClearing` before anyone answered), counted by how long the caller waited;
- **missed**: it ended unanswered for any other reason (`noAnswer`, `busy`, `congestion`, a
  queue's timeout, a cause the phone system did not send, a call no event ever ended);
- **still live**: ringing, not past the stale limit (calldesk.telephony.ending).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
    Value,
    When,
)
from django.db.models.lookups import GreaterThan

from calldesk.accounts.models import Organization
from calldesk.callforms.models import CallForm
from calldesk.dashboards.stats import Chart, tuned
from calldesk.reports.models import CallReport, Status
from calldesk.telephony.ending import live_since
from calldesk.telephony.models import Call, CallSource

# The causes that mean the caller hung up first (the names calldesk stores them under).
CALLER_GAVE_UP = ("cancel", "normalClearing")
# How long an abandoning caller waited (from the call's arrival to its end).
WAIT_BUCKETS: list[tuple[str, timedelta | None]] = [
    ("under 30 s", timedelta(seconds=30)),
    ("30–60 s", timedelta(seconds=60)),
    ("1–2 min", timedelta(minutes=2)),
    ("over 2 min", None),
]
ANSWERED, ABANDONED, MISSED, LIVE = "answered", "abandoned", "missed", "live"
LABELS = {
    ANSWERED: "Answered",
    ABANDONED: "Abandoned: the caller hung up before an answer",
    MISSED: "Missed: ended unanswered (no answer, busy, timeout, unknown)",
    LIVE: "Still ringing",
}


@dataclass
class Answers:
    counts: dict[str, int]
    waits: list[int]  # abandoned calls per WAIT_BUCKETS entry

    def charts(self) -> list[Chart]:
        return [
            Chart("answers", "Answered, abandoned and missed calls", "bars", [LABELS[k] for k in LABELS],
                  [self.counts.get(k, 0) for k in LABELS]),
            Chart("abandoned_wait", "Abandoned calls by how long the caller waited", "bars",
                  [label for label, _ in WAIT_BUCKETS], self.waits),
        ]  # fmt: skip


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


def _wait_bucket() -> Case:
    waited = ExpressionWrapper(F("ended_at") - F("received_at"), output_field=DurationField())
    whens = [
        When(GreaterThan(Value(upper, output_field=DurationField()), waited), then=Value(index))
        for index, (_, upper) in enumerate(WAIT_BUCKETS)
        if upper is not None
    ]
    return Case(*whens, default=Value(len(WAIT_BUCKETS) - 1), output_field=IntegerField())


def count_answers(
    organization: Organization,
    lower: datetime | None,
    upper: datetime | None,
    form: CallForm | None = None,
    now: datetime | None = None,
) -> Answers:
    """One grouped query over the range's calls."""
    calls = Call.objects.filter(organization=organization)
    if lower is not None:
        calls = calls.filter(received_at__gte=lower)
    if upper is not None:
        calls = calls.filter(received_at__lt=upper)
    if form is not None:
        calls = calls.filter(form=form)
    grouped = calls.order_by().annotate(o=_outcome(now), b=_wait_bucket()).values_list("o", "b").annotate(n=Count("id"))
    # Tuned as the dashboard's other grouped queries: the report check's estimated cost (it is
    # rarely run) would otherwise start the JIT compiler, 0.3 s for nothing.
    with tuned(calls.db):
        rows = list(grouped)
    counts: dict[str, int] = {}
    waits = [0] * len(WAIT_BUCKETS)
    for outcome, bucket, n in rows:
        counts[outcome] = counts.get(outcome, 0) + n
        if outcome == ABANDONED:
            waits[bucket] += n
    return Answers(counts, waits)
