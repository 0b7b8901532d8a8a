"""The dashboards keep settled days' counts (dashboards.rollup): what a supervisor sees is always
what counting every report again would show, whatever wrote to those days since, and by whatever
way (the app, a bulk update, retention, plain SQL, a writer committing while the day is counted)."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calldesk.callforms.models import FormRevision
from calldesk.dashboards import rollup
from calldesk.dashboards.models import DayChange, DayCounts
from calldesk.dashboards.stats import build_dashboard
from calldesk.reports.models import CallReport, Status
from calldesk.reports.retention import run_retention
from calldesk.telephony.models import Call
from tests.cast import Cast, make_form
from tests.reportdata import NY, Known, make_known, make_report

START, END = date(2026, 3, 1), date(2026, 3, 10)
NOW = datetime(2026, 3, 7, 20, 0, tzinfo=NY)
ABANDON = "UPDATE reports_callreport SET status = 'abandoned', submitted_at = NULL WHERE id = %s"


def seen(cast: Cast, start: date = START, end: date = END, form: Any = None) -> dict[str, Any]:
    """Everything the dashboard page shows: its totals and every chart."""
    board = build_dashboard(cast.org_a, start, end, form)
    totals = (board.total, board.submitted, board.unsubmitted, board.hangups_recorded, board.unassigned)
    return {"totals": totals, "charts": board.charts_json(), "answers": board.answers.counts}


def counted_again(cast: Cast, **kwargs: Any) -> dict[str, Any]:
    """The same page with no day settled: every figure counted from the reports and calls."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(rollup, "SETTLED_AFTER", timedelta(days=100_000))
        return seen(cast, **kwargs)


def test_a_settled_day_is_counted_once_and_then_read_without_touching_the_reports(cast: Cast) -> None:
    make_known(cast)
    first = seen(cast)
    assert first["totals"][0] == 6
    assert DayCounts.objects.filter(organization=cast.org_a).count() == 10  # each day of the range, empty ones too
    with CaptureQueriesContext(connection) as queries:
        again = seen(cast)
    assert again == first
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "reports_callreport" not in read and "telephony_call" not in read


def test_every_way_of_writing_to_a_settled_day_is_counted(cast: Cast) -> None:
    known = make_known(cast)
    writes = [
        ("a draft submitted", lambda: _submit(known.r4)),
        ("a choice edited", lambda: _set_values(known.r1, {**known.r1.values, "language": "French"})),
        ("a report deleted", lambda: known.r6.delete()),
        ("a bulk update", lambda: CallReport.objects.filter(pk=known.r3.pk).update(call_type="silent")),
        ("an agent changed", lambda: CallReport.objects.filter(pk=known.r2.pk).update(agent=cast.specialist)),
        ("a call hung up", lambda: Call.objects.filter(report=known.r5).update(ended_at=NOW, end_reason="busy")),
        ("a call without report", lambda: _lone_call(cast, datetime(2026, 3, 9, 7, 0, tzinfo=NY))),
        ("a report added", lambda: make_report(cast.form_a, cast.specialist, datetime(2026, 3, 3, 1, 0, tzinfo=NY))),
        ("plain SQL", lambda: _raw(ABANDON, [known.r1.pk])),
        ("retention", lambda: run_retention(cast.org_a, datetime(2026, 12, 1, tzinfo=UTC))),
    ]  # fmt: skip
    for what, write in writes:
        seen(cast)  # keeps every day of the range
        write()
        assert seen(cast) == counted_again(cast), what
        assert seen(cast, form=cast.form_a) == counted_again(cast, form=cast.form_a), what


def test_a_revision_that_changes_what_is_counted_counts_the_days_again_and_only_such_a_one(cast: Cast) -> None:
    make_known(cast)
    seen(cast)
    kept = dict(DayCounts.objects.values_list("day", "counted_at"))
    latest = cast.form_a.revisions.order_by("-number").first()
    assert latest is not None
    fields = [dict(item) for item in latest.definition_json["fields"]]
    fields[0]["label"] = "Language spoken"  # a label: read when shown, nothing counted again
    FormRevision.objects.create(form=cast.form_a, number=latest.number + 1, definition_json={"fields": fields})
    relabelled = seen(cast)
    assert dict(DayCounts.objects.values_list("day", "counted_at")) == kept
    assert relabelled == counted_again(cast)
    assert "Calls per language spoken" in [chart["title"] for chart in relabelled["charts"]]
    fields[0]["personal"] = True  # sealed from now on: counted by its keyed hash, a new expression
    FormRevision.objects.create(form=cast.form_a, number=latest.number + 2, definition_json={"fields": fields})
    assert seen(cast) == counted_again(cast)
    assert dict(DayCounts.objects.values_list("day", "counted_at")) != kept


def test_a_new_zone_counts_the_days_again(cast: Cast) -> None:
    make_known(cast)
    before = seen(cast)
    cast.org_a.time_zone = "Asia/Kathmandu"  # +05:45: every local day moves
    cast.org_a.save()
    moved = seen(cast)
    assert moved != before
    assert moved == counted_again(cast)


def test_writes_of_todays_calls_bump_nothing(cast: Cast) -> None:
    # Compared with what was there: a flush on SQLite deletes rows one by one, through the triggers.
    before = _generations()
    report = make_report(cast.form_a, cast.specialist, datetime.now(UTC), status=Status.DRAFT)
    for n in range(3):  # autosaves
        _set_values(report, {"language": "Spanish", "summary": f"draft {n}"})
    assert _generations() == before
    make_known(cast)
    assert _generations() != before  # its March days bumped


def test_a_day_settles_twelve_hours_after_it_ends_and_the_triggers_see_its_writes(cast: Cast) -> None:
    """The newest settled day is kept, and a write to its last minutes (12 hours to a day and a half
    old: under the old cut of two days, no trigger ran for it) is counted on the next view."""
    now = datetime.now(UTC)
    zone = cast.org_a.zone
    first_live = rollup.settled_before(cast.org_a, now)
    newest = first_live - timedelta(days=1)
    assert now - datetime.combine(first_live, datetime.min.time(), zone) >= rollup.SETTLED_AFTER
    assert now - datetime.combine(first_live, datetime.min.time(), zone) < rollup.SETTLED_AFTER + timedelta(days=1)
    late = make_report(
        cast.form_a, cast.specialist, datetime.combine(first_live, datetime.min.time(), zone) - timedelta(minutes=1)
    )
    assert seen(cast, newest, newest)["totals"][0] == 1
    assert DayCounts.objects.filter(organization=cast.org_a, day=newest).exists()
    CallReport.objects.filter(pk=late.pk).update(status=Status.ABANDONED, submitted_at=None)
    assert seen(cast, newest, newest) == counted_again(cast, start=newest, end=newest)
    assert seen(cast, newest, newest)["totals"][1] == 0  # no longer submitted


def test_the_triggers_cut_leaves_a_margin_before_a_day_settles() -> None:
    """A settled day's rows are all older than SETTLED_AFTER; the triggers must see writes of rows
    younger than that, with hours to spare for the clocks of Calldesk and its database."""
    cut = importlib.import_module("calldesk.dashboards.migrations.0005_settle_after_twelve_hours").CUT
    number, unit = cut.split()
    assert unit == "hours"
    assert rollup.SETTLED_AFTER - timedelta(hours=int(number)) >= timedelta(hours=6)


def test_the_rollup_command_counts_the_settled_days_of_the_last_year(cast: Cast) -> None:
    make_known(cast)
    call_command("rollup", "--org", cast.org_a.slug)
    assert DayCounts.objects.filter(organization=cast.org_a).count() == 366
    assert rollup.roll_up(cast.org_a) == 0  # all kept, all still exact
    Call.objects.filter(report__call_start__date=date(2026, 3, 5)).update(end_reason="busy")
    assert rollup.roll_up(cast.org_a) >= 1


def test_two_changes_far_apart_count_their_own_days_again_not_the_months_between(cast: Cast) -> None:
    for day in range(1, 91, 3):
        make_report(cast.form_a, cast.specialist, datetime(2026, 1, 1, 12, 0, tzinfo=NY) + timedelta(days=day))
    seen(cast, date(2026, 1, 1), date(2026, 3, 31))
    DayCounts.objects.update(counted_at=datetime(2026, 4, 1, tzinfo=UTC))
    for changed in (date(2026, 1, 11), date(2026, 3, 21)):
        CallReport.objects.filter(call_start__date=changed).update(call_type="silent")
    seen(cast, date(2026, 1, 1), date(2026, 3, 31))
    again = DayCounts.objects.filter(counted_at__gt=datetime(2026, 4, 1, tzinfo=UTC)).values_list("day", flat=True)
    # Each change touches the local days that overlap its UTC day (New York: that day and the one before).
    assert sorted(again) == [date(2026, 1, 10), date(2026, 1, 11), date(2026, 3, 20), date(2026, 3, 21)]


PLACES = {
    "fields": [
        {"key": "postcode", "label": "Caller's postcode", "type": "text"},
        {"key": "referrals", "label": "Referrals", "type": "referrals"},
    ]
}


def test_referrals_and_unmet_needs_per_area_of_kept_days_equal_counting_again(cast: Cast) -> None:
    places = make_form(cast.org_a, "7770002", PLACES, "I&R with place")
    given = [
        ("62701", ["Food pantry"], ["transport"]),
        ("sw1a 1aa", ["Shelter", "Food pantry"], ["legal", "transport"]),
        ("SW1A 1AA", [], ["legal"]),
        ("", ["Shelter"], ["transport"]),
    ]
    made = []
    for n, (postcode, services, unmet) in enumerate(given * 3):
        referrals = {
            "services": [{"name": name, "organization": f"{name} Inc.", "terms": [name.lower()]} for name in services],
            "unmet": [{"name": need.title()} for need in unmet],
        }
        start = datetime(2026, 3, 1 + n, 9, 0, tzinfo=NY)
        made.append(make_report(places, cast.specialist, start, values={"postcode": postcode, "referrals": referrals}))
    make_report(cast.form_a, cast.specialist, datetime(2026, 3, 2, 9, 0, tzinfo=NY))  # a form without referrals
    for form in (None, places, cast.form_a):
        assert seen(cast, form=form) == counted_again(cast, form=form)
    board = seen(cast, form=places)
    charts = {chart["id"]: dict(zip(chart["labels"], chart["values"], strict=True)) for chart in board["charts"]}
    assert charts["unmet_area"] == {"sw1a 1aa": 8, "62701": 3, "(no area recorded)": 2}  # 10 days of the 12
    assert charts["referrals_service"] == {"Food pantry": 6, "Shelter": 5}
    _set_values(made[1], {"postcode": "62701", "referrals": {"services": [], "unmet": []}})
    assert seen(cast, form=places) == counted_again(cast, form=places)


@st.composite
def days_of_calls(draw: st.DrawFn) -> list[dict[str, Any]]:
    return draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "day": st.integers(0, 5),
                    "minute": st.integers(0, 24 * 60 - 1),
                    "status": st.sampled_from([s for s, _ in Status.choices]),
                    "language": st.sampled_from(["English", "Spanish", "French", None]),
                    "ended": st.sampled_from(["", "cancel", "busy", "normalClearing"]),
                    "with_report": st.booleans(),
                }
            ),
            max_size=8,
        )
    )


# The cast (users, forms) is shared by the examples on purpose; each starts without reports or calls.
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=days_of_calls(), changes=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 4)), max_size=6))
def test_kept_days_always_equal_counting_again(
    cast: Cast, calls: list[dict[str, Any]], changes: list[tuple[int, int]]
) -> None:
    CallReport.objects.all().delete()
    Call.objects.all().delete()
    made: list[CallReport] = []
    for plan in calls:
        start = datetime(2026, 3, 1, tzinfo=NY) + timedelta(days=plan["day"], minutes=plan["minute"])
        if not plan["with_report"]:
            _lone_call(cast, start, plan["ended"])
            continue
        values = {"language": plan["language"]} if plan["language"] else {}
        made.append(
            make_report(cast.form_a, cast.specialist, start, status=plan["status"], values=values, ended=plan["ended"])
        )
    window = {"start": date(2026, 3, 1), "end": date(2026, 3, 6)}
    assert seen(cast, **window) == counted_again(cast, **window)
    for index, kind in changes:
        if not made:
            break
        report = made[index % len(made)]
        if kind == 0:
            _submit(report)
        elif kind == 1:
            _set_values(report, {"language": ["English", "Spanish"][index % 2]})
        elif kind == 2:
            CallReport.objects.filter(pk=report.pk).update(call_start=report.call_start + timedelta(days=1))
        elif kind == 3:
            Call.objects.filter(report=report).update(ended_at=report.call_start, end_reason="cancel")
        else:
            CallReport.objects.filter(pk=report.pk).delete()
        assert seen(cast, **window) == counted_again(cast, **window)


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_while_the_day_is_counted_is_not_lost(cast: Cast) -> None:
    """Another connection changes a settled report and commits only after the dashboard counted
    (and kept) that day without it: the next view counts the day again."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time: the dashboard's keeping would wait for the writer")
    import psycopg

    known: Known = make_known(cast)
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port")}) as writer:
        writer.execute(
            "UPDATE reports_callreport SET status = 'abandoned', submitted_at = NULL WHERE id = %s", [known.r1.pk]
        )
        during = seen(cast)  # counts and keeps 2 March without the writer's change
        writer.commit()
    after = seen(cast)
    assert after != during
    assert after == counted_again(cast)


def _generations() -> list[tuple[int, date, int]]:
    return list(DayChange.objects.order_by("pk").values_list("organization_id", "day", "generation"))


def _submit(report: CallReport) -> None:
    report.status = Status.SUBMITTED
    report.submitted_at = report.call_start + timedelta(minutes=7)
    report.save()


def _set_values(report: CallReport, values: dict[str, Any]) -> None:
    report.values = values
    report.save()


def _lone_call(cast: Cast, received: datetime, ended: str = "") -> Call:
    call = Call.objects.create(
        organization=cast.org_a,
        form=cast.form_a,
        revision=cast.form_a.revisions.order_by("number").first(),
        source="api",
        fingerprint="f" * 64,
        ended_at=received + timedelta(minutes=1) if ended else None,
        end_reason=ended,
    )
    Call.objects.filter(pk=call.pk).update(received_at=received)  # auto_now_add ignores a value given
    return call


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_time_to_submit_falls_in_its_bucket_at_the_edges(cast: Cast) -> None:
    """The waits are counted in the database's own arithmetic (SQLite: julianday, to the millisecond)."""
    start = datetime(2026, 3, 4, 10, 0, tzinfo=NY)
    for wait in (timedelta(minutes=5), timedelta(minutes=5) - timedelta(milliseconds=1), timedelta(hours=1)):
        make_report(cast.form_a, cast.specialist, start, submit_after=wait)
    charts = {chart["id"]: chart for chart in seen(cast)["charts"]}
    waits = dict(zip(charts["time_to_submit"]["labels"], charts["time_to_submit"]["values"], strict=True))
    assert (waits["under 5 min"], waits["5–15 min"], waits["15–60 min"], waits["1–4 h"]) == (1, 1, 0, 1)
