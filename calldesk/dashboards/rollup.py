"""The dashboards' counts of a range of days: kept days where they are settled, counted otherwise.

A year of a big helpline is millions of reports: counting them on every view took seconds. A day
that ended 12 hours ago (and past the stale limit of a call: CALL_STALE_HOURS) rarely changes
again, so its tally is counted once and kept (models.DayCounts). It is used only while nothing it
was counted from has changed: the database's triggers bump a generation for every UTC day whose
reports or calls were written (models.DayChange, migration 0004), and a kept day holds the
generations it was counted under. Those are read *before* the counting: a write that commits
after that read bumps a generation past them, so the day is counted again; a write committed
before it is in the counts. So a kept day is exactly what counting it again would give.

`calldesk rollup` counts every settled day of the last year ahead of the supervisors (nightly,
after retention, in `calldesk maintenance`); without it, the first view of a day counts it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calldesk.accounts.models import Organization
from calldesk.callforms.definition import CHOICE_TYPES
from calldesk.callforms.models import CallForm
from calldesk.dashboards import counting
from calldesk.dashboards.counting import Tally
from calldesk.dashboards.models import DayChange, DayCounts
from calldesk.reports.search import FilterField, day_range, report_fields
from calldesk.resources.referral_stats import place_candidates, referral_keys

# A day is settled this long after it ended: the triggers' cut (6 hours, migration 0005) and as
# much again as margin between the clocks of Calldesk and its database. Shorter is fewer reports
# counted live on every view (at most a day and a half instead of four days).
SETTLED_AFTER = timedelta(hours=12)
# And once no call of it can still be live: received before the end, stale CALL_STALE_HOURS on.
STALE_MARGIN = timedelta(hours=1)
# How far back `calldesk rollup` counts by default: the longest dashboard (dashboards.views).
YEAR = 366
# The most days counted in one query. PostgreSQL estimates a grouping's size by multiplying its
# columns' distinct values: over a year of days it expects millions of groups (a year of
# 1,000,000 reports has 115,000), will not hash them, and sorts on disk instead (5.3 s); a month
# at a time is hashed in memory (0.3 s a month there).
MOST_DAYS = 31
# Missing days at most this far apart are counted in one go (see _runs).
RUN_GAP = 7


@dataclass
class Counts:
    """A range's tally, added up over its days, and how many calls each day had."""

    tally: Tally = field(default_factory=Tally)
    per_day: Counter[date] = field(default_factory=Counter)

    def add(self, day: date, tally: Tally) -> None:
        self.tally.add(tally)
        self.per_day[day] += tally.calls()


def counts(organization: Organization, start: date, end: date, form: CallForm | None = None) -> Counts:
    """The counts of the days start…end (in the organization's zone), of one form or all."""
    now = timezone.now()
    first_live = settled_before(organization, now)
    found = Counts()
    if start < first_live:
        settled = settled_days(organization, start, min(end, first_live - timedelta(days=1)))
        for day, per_form in sorted(settled.items()):  # in order: an area shows as first spelled
            for form_id, tally in per_form.items():
                if form is None or form_id == form.pk:
                    found.add(day, tally)
    if end >= first_live:
        lower, upper = day_range(max(start, first_live), end, organization.zone)
        assert lower is not None and upper is not None
        fields = report_fields(organization, form)
        for (day, _), tally in sorted(counting.count_days(organization, lower, upper, fields, form, now).items()):
            found.add(day, tally)
    return found


def settled_before(organization: Organization, now: datetime) -> date:
    """The first day (in the organization's zone) that is not settled."""
    cut = now - max(SETTLED_AFTER, timedelta(hours=settings.CALL_STALE_HOURS) + STALE_MARGIN)
    # Day D is settled when its end, D + 1 at 00:00 in the zone, is at or before the cut.
    return cut.astimezone(organization.zone).date()


def settled_days(organization: Organization, start: date, end: date) -> dict[date, dict[int, Tally]]:
    """Each settled day's tallies per form: kept ones still exact, the others counted and kept."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if not days:
        return {}
    fields = report_fields(organization)
    sign = signature(organization, fields)
    # Before any counting below (see the module's docstring).
    changes = dict(
        DayChange.objects.filter(
            organization_id=organization.pk, day__gte=start - timedelta(days=1), day__lte=end + timedelta(days=1)
        ).values_list("day", "generation")
    )
    found: dict[date, dict[int, Tally]] = {}
    for kept in DayCounts.objects.filter(organization=organization, day__gte=start, day__lte=end):
        if kept.signature == sign and kept.generations == generations(organization, kept.day, changes):
            found[kept.day] = {int(form_id): Tally.from_json(data) for form_id, data in kept.counts.items()}
    for first, last in _runs([day for day in days if day not in found]):
        found.update(_count_and_keep(organization, first, last, fields, sign, changes))
    return found


def _runs(missing: list[date]) -> list[tuple[date, date]]:
    """The missing days as runs to count each in one go: days a few apart share a run (counting
    the kept days between is cheaper than another query), days far apart do not (a change in
    March and one in November would otherwise count the whole year between)."""
    runs: list[tuple[date, date]] = []
    for day in missing:
        if runs and (day - runs[-1][1]).days <= RUN_GAP and (day - runs[-1][0]).days < MOST_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _count_and_keep(
    organization: Organization, start: date, end: date, fields: list[FilterField], sign: str, changes: dict[date, int]
) -> dict[date, dict[int, Tally]]:
    """Counts the days start…end and keeps them."""
    lower, upper = day_range(start, end, organization.zone)
    assert lower is not None and upper is not None
    counted: dict[date, dict[int, Tally]] = {start + timedelta(days=i): {} for i in range((end - start).days + 1)}
    tallies = counting.count_days(organization, lower, upper, fields)
    for (day, form_id), tally in tallies.items():
        counted[day][form_id] = tally
    rows = [
        DayCounts(
            organization=organization,
            day=day,
            signature=sign,
            generations=generations(organization, day, changes),
            counts={str(form_id): tally.to_json() for form_id, tally in per_form.items()},
        )
        for day, per_form in counted.items()
    ]
    with transaction.atomic():
        DayCounts.objects.filter(organization=organization, day__gte=start, day__lte=end).delete()
        # Another view counting the same days at once keeps the same counts: either is right.
        DayCounts.objects.bulk_create(rows, ignore_conflicts=True)
    return counted


def generations(organization: Organization, day: date, changes: dict[date, int]) -> dict[str, int]:
    """The generations of the UTC days a day in the organization's zone overlaps."""
    lower, upper = day_range(day, day, organization.zone)
    assert lower is not None and upper is not None
    first = lower.astimezone(UTC).date()
    last = (upper - timedelta(microseconds=1)).astimezone(UTC).date()
    overlapped = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {utc_day.isoformat(): changes.get(utc_day, 0) for utc_day in overlapped}


def signature(organization: Organization, fields: list[FilterField]) -> str:
    """What a day's counts depend on besides its rows: the zone, the way of counting, and what
    counting reads of the forms (each choice field's key and whether it is sealed; the referrals
    fields; the fields that could be a place, and the revisions that seal them). A revision that
    changes labels or adds a text field leaves the kept days as they are; labels are read at
    display time."""
    choices = sorted((item.key, item.personal) for item in fields if item.type in CHOICE_TYPES)
    places = sorted((item.key, sorted(item.sealed_in)) for item in place_candidates(fields))
    read = [counting.VERSION, organization.time_zone, choices, referral_keys(fields), places]
    return hashlib.sha256(json.dumps(read).encode()).hexdigest()


def roll_up(organization: Organization, days: int = YEAR) -> int:
    """Counts and keeps the settled days of the last `days` not kept (or no longer exact): how many."""
    began = timezone.now()
    first_live = settled_before(organization, began)
    settled_days(organization, first_live - timedelta(days=days), first_live - timedelta(days=1))
    return DayCounts.objects.filter(organization=organization, counted_at__gte=began).count()
