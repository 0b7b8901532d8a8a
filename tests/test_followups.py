"""Follow-ups through the pages: scheduled from a report in the organization's zone, listed
(mine, all), counted in the menu, done with "Call now" and attempts until done or unreachable,
every step in the original report's history; supervisors reassign and close several at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from calldesk.audit.models import AccessEvent
from calldesk.callforms.models import FormRevision
from calldesk.followups import services
from calldesk.followups.models import Attempt, FollowUp, State
from calldesk.reports.models import CallReport, ReportChange, Status
from tests.cast import FORM_A_DEFINITION, Cast
from tests.reportdata import make_report

NY = ZoneInfo("America/New_York")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def report(cast: Cast) -> CallReport:
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    return make_report(
        cast.form_a, cast.specialist, start, agent=cast.specialist, phone=("999-123-4567", "+19991234567")
    )


def client_of(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def schedule(client: Client, report: CallReport, **data: str) -> object:
    fields = {"due_at": "", "assignee": "pool", "method": "call", "reason": "", **data}
    return client.post(f"/followups/new/{report.public_id}/", fields)


def follow_up_of(report: CallReport, cast: Cast, due_at: datetime, assignee: object = None) -> FollowUp:
    return services.schedule_follow_up(
        report, cast.specialist, due_at=due_at, assignee=assignee, method="call", reason="Check on Ana"
    )  # type: ignore[arg-type]


def history(report: CallReport) -> list[str]:
    return [
        str(change.changes["Follow-up"][1])
        for change in ReportChange.objects.filter(report=report, action="follow_up").order_by("id")
    ]


def test_tomorrow_at_nine_is_nine_in_the_organizations_zone(cast: Cast, report: CallReport) -> None:
    sam = client_of(cast.specialist)
    tomorrow = timezone.localdate(timezone=NY) + timedelta(days=1)
    response = schedule(
        sam, report, due_at=f"{tomorrow:%Y-%m-%d}T09:00", assignee=str(cast.specialist.public_id), reason="Ana, 14"
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == f"/reports/{report.public_id}/"  # type: ignore[index]
    follow_up = FollowUp.objects.get()
    expected = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0, tzinfo=NY)
    assert follow_up.due_at == expected and follow_up.due_at.astimezone(UTC).hour in (13, 14)
    assert (follow_up.assignee, follow_up.method, follow_up.max_attempts) == (cast.specialist, "call", 3)
    page = sam.get("/followups/").content.decode()
    assert f"{tomorrow:%Y-%m-%d} 09:00" in page
    assert "overdue" not in page.split('id="followups-list"')[1]
    assert history(report) == [f"scheduled: call, due {tomorrow:%Y-%m-%d} 09:00, for Sam Specialist"]
    # The reason may name the caller: sealed in the database.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM followups_followup")
        (stored,) = cursor.fetchone()
    assert "Ana" not in stored and follow_up.reason == "Ana, 14"


def test_a_bad_due_time_is_refused_with_its_reason_and_nothing_is_written(cast: Cast, report: CallReport) -> None:
    sam = client_of(cast.specialist)
    for due, message in (("tomorrow", "Enter a valid date/time."), ("0001-01-01T09:00", "Enter a year from 1900")):
        response = schedule(sam, report, due_at=due)
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert message in response.content.decode()  # type: ignore[attr-defined]
    # 02:30 on the day clocks go forward does not exist in New York.
    response = schedule(sam, report, due_at="2027-03-14T02:30")
    assert response.status_code == 400 and "time zone" in response.content.decode()  # type: ignore[attr-defined]
    response = sam.post(f"/followups/new/{report.public_id}/", {"due_at": "2027-01-05T09:00", "assignee": "x"}, **JSON)
    assert response.status_code == 400 and "assignee" in response.json()["errors"]
    assert FollowUp.objects.count() == 0 and history(report) == []


def test_a_call_type_the_form_does_not_offer_them_for_refuses(cast: Cast, report: CallReport) -> None:
    definition = {
        **FORM_A_DEFINITION,
        "call_types": [{"key": "call", "label": "Call", "data": True, "follow_ups": False}],
        "follow_up_attempts": 5,
    }
    FormRevision.objects.create(form=cast.form_a, number=2, definition_json=definition)
    cast.form_a.refresh_from_db()
    report.form.refresh_from_db()
    sam = client_of(cast.specialist)
    assert "Schedule a follow-up" not in sam.get(f"/reports/{report.public_id}/").content.decode()
    response = schedule(sam, report, due_at="2027-01-05T09:00")
    assert response.status_code == 302 and FollowUp.objects.count() == 0  # type: ignore[attr-defined]
    assert "does not offer follow-ups" in sam.get(response["Location"]).content.decode()  # type: ignore[index]


def test_mine_lists_mine_and_the_pools_with_the_overdue_counted_in_the_menu(cast: Cast, report: CallReport) -> None:
    now = timezone.now()
    follow_up_of(report, cast, now - timedelta(hours=2), cast.specialist)
    follow_up_of(report, cast, now - timedelta(minutes=5))  # the pool's
    follow_up_of(report, cast, now + timedelta(days=1), cast.specialist)
    kims = follow_up_of(report, cast, now - timedelta(hours=1), cast.specialist2)
    sam = client_of(cast.specialist)
    page = sam.get("/reports/unfinished/").content.decode()
    assert 'id="nav-followups-overdue"' in page and ">2<" in page.split('id="nav-followups-overdue"')[1][:40]
    mine = sam.get("/followups/").content.decode()
    rows = mine.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr") == 3 and rows.count("overdue</span>") == 2 and "the pool" in rows
    assert str(kims.public_id) not in rows
    # Sorted by due time: the two overdue ones first, the oldest first.
    assert rows.index("Sam Specialist") < rows.index("the pool")
    # Kim sees hers and the pool's; not Sam's.
    assert client_of(cast.specialist2).get(f"/followups/{kims.public_id}/").status_code == 200
    # Its reason is the caller's data: the access log says who opened it, as for the report.
    opened = AccessEvent.objects.get(user=cast.specialist2, action="report.view")
    assert (opened.action, opened.report, opened.details) == ("report.view", report.public_id, {"page": "follow-up"})
    sams = FollowUp.objects.filter(assignee=cast.specialist).first()
    assert client_of(cast.specialist2).get(f"/followups/{sams.public_id}/").status_code == 404  # type: ignore[union-attr]
    assert client_of(cast.specialist_b).get(f"/followups/{kims.public_id}/").status_code == 404


def test_call_now_opens_a_draft_prefilled_like_a_pop_and_attempts_end_unreachable(
    cast: Cast, report: CallReport
) -> None:
    follow_up = follow_up_of(report, cast, timezone.now() - timedelta(minutes=1))
    sam = client_of(cast.specialist)
    before = timezone.now()
    response = sam.post(f"/followups/{follow_up.public_id}/call")
    assert response.status_code == 303
    draft = CallReport.objects.get(public_id=response["Location"].strip("/").split("/")[-1])
    assert draft.pk != report.pk and draft.status == Status.DRAFT and draft.call is None
    assert (draft.form, draft.agent, draft.author) == (cast.form_a, cast.specialist, cast.specialist)
    assert draft.phone_e164 == "+19991234567" and draft.call_start >= before - timedelta(seconds=1)
    # Asked again (a double click), the same draft; the pool's follow-up became Sam's.
    assert sam.post(f"/followups/{follow_up.public_id}/call")["Location"] == response["Location"]
    follow_up.refresh_from_db()
    assert follow_up.assignee == cast.specialist
    editor = sam.get(f"/reports/{draft.public_id}/").content.decode()
    assert "This call is attempt 1 of 3" in editor and f"/reports/{report.public_id}/" in editor
    # The panel records the outcome without leaving the draft (JSON), on the attempt Call now started.
    answer = sam.post(f"/followups/{follow_up.public_id}/attempt", {"outcome": "no_answer"}, **JSON)
    assert answer.status_code == 200 and "This call is attempt" not in answer.json()["html"]
    assert Attempt.objects.get().report == draft
    assert sam.post(f"/followups/{follow_up.public_id}/attempt", {"outcome": "left_message"}).status_code == 302
    last = sam.post(f"/followups/{follow_up.public_id}/attempt", {"outcome": "wrong_number"}, follow=True)
    assert "the follow-up is unreachable" in last.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.state == State.UNREACHABLE and follow_up.closed_at is not None
    assert history(report)[1:] == [
        "taken from the pool by Sam Specialist",
        "attempt 1 of 3 by Sam Specialist: no answer",
        "attempt 2 of 3 by Sam Specialist: left a message",
        "attempt 3 of 3 by Sam Specialist: wrong number; closed as unreachable",
    ]
    shown = sam.get(f"/reports/{report.public_id}/").content.decode().split('id="report-history"')[1]
    assert "attempt 3 of 3 by Sam Specialist: wrong number; closed as unreachable" in shown
    # Closed: no more attempts, no more calls.
    assert sam.post(f"/followups/{follow_up.public_id}/attempt", {"outcome": "reached"}).status_code == 302
    assert Attempt.objects.exclude(outcome="").count() == 3
    assert sam.post(f"/followups/{follow_up.public_id}/call").status_code == 302
    assert CallReport.objects.count() == 2


def test_reaching_the_person_is_done_and_a_bad_outcome_changes_nothing(cast: Cast, report: CallReport) -> None:
    follow_up = follow_up_of(report, cast, timezone.now(), cast.specialist)
    sam = client_of(cast.specialist)
    assert sam.post(f"/followups/{follow_up.public_id}/attempt", {"outcome": "maybe"}).status_code == 302
    assert Attempt.objects.count() == 0
    sam.post(f"/followups/{follow_up.public_id}/attempt", {"outcome": "reached", "note": "All fine"})
    follow_up.refresh_from_db()
    assert follow_up.state == State.DONE
    assert history(report)[-1] == "attempt 1 of 3 by Sam Specialist: reached; done"


def test_supervisors_reassign_and_close_several_at_once(cast: Cast, report: CallReport) -> None:
    now = timezone.now()
    items = [follow_up_of(report, cast, now + timedelta(hours=n), cast.specialist) for n in range(3)]
    sue = client_of(cast.supervisor)
    page = sue.get("/followups/all/").content.decode()
    assert all(str(item.public_id) in page for item in items)
    chosen = [str(items[0].public_id), str(items[1].public_id)]
    reassigned = sue.post(
        "/followups/bulk", {"chosen": chosen, "action": "reassign", "assignee": str(cast.specialist2.public_id)}
    )
    assert reassigned.status_code == 302
    assert [FollowUp.objects.get(pk=i.pk).assignee for i in items] == [cast.specialist2] * 2 + [cast.specialist]
    sue.post("/followups/bulk", {"chosen": [str(items[1].public_id), str(items[2].public_id)], "action": "close"})
    assert [FollowUp.objects.get(pk=i.pk).state for i in items] == [State.OPEN, State.CLOSED, State.CLOSED]
    assert "reassigned to Kim Specialist by Sue Supervisor" in history(report)
    assert history(report).count("closed by Sue Supervisor") == 2
    # Specialists have neither page; nothing changes.
    sam = client_of(cast.specialist)
    assert sam.get("/followups/all/").status_code == 404
    assert sam.post("/followups/bulk", {"chosen": chosen, "action": "close"}).status_code == 404
    assert FollowUp.objects.filter(state=State.OPEN).count() == 1


def test_the_panel_schedules_from_the_draft_being_written_and_answers_json(cast: Cast) -> None:
    sam = client_of(cast.specialist)
    response = sam.get("/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567")
    draft_url = response["Location"]
    editor = sam.get(draft_url).content.decode()
    assert 'id="followups-panel"' in editor and "Schedule a follow-up" in editor
    draft = CallReport.objects.get(public_id=draft_url.strip("/").split("/")[-1])
    answer = sam.post(
        f"/followups/new/{draft.public_id}/",
        {"due_at": "2027-01-05T09:00", "assignee": "pool", "method": "text", "reason": ""},
        **JSON,
    )
    assert answer.status_code == 200 and "Text message, due 2027-01-05 09:00" in answer.json()["html"]
    assert FollowUp.objects.get().report == draft


def test_dashboards_count_per_week(cast: Cast, report: CallReport) -> None:
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=NY)
    done = follow_up_of(report, cast, monday, cast.specialist)
    services.record_attempt(done, cast.specialist, "reached")
    FollowUp.objects.filter(pk=done.pk).update(closed_at=monday + timedelta(hours=3))  # reached that morning
    late = follow_up_of(report, cast, monday + timedelta(days=8), cast.specialist)
    for _ in range(3):
        services.record_attempt(late, cast.specialist, "no_answer")
    follow_up_of(report, cast, monday + timedelta(days=9), cast.specialist)  # open, past due
    sue = client_of(cast.supervisor)
    page = sue.get("/dashboards/", {"from": "2026-03-01", "to": "2026-03-15"}).content.decode()
    table = page.split('id="followups-weeks"')[1].split("</table>")[0]
    rows = [row.split("<td>")[1:] for row in table.split("<tr>")[2:]]
    cells = [[cell.split("<")[0] for cell in row] for row in rows]
    # Week of, due, overdue, done on time, unreachable.
    assert cells == [
        ["2026-02-23", "0", "0", "0", "0"],
        ["2026-03-02", "1", "0", "1", "0"],
        ["2026-03-09", "2", "1", "0", "1"],
    ], cells


def test_retention_blanks_reasons_and_notes_with_the_reports_personal_data(cast: Cast, report: CallReport) -> None:
    from io import StringIO

    from django.core.management import call_command

    old = follow_up_of(report, cast, timezone.now(), cast.specialist)  # of a call in March 2026
    services.record_attempt(old, cast.specialist, "no_answer", note="Her mother answered")
    recent = make_report(cast.form_a, cast.specialist, timezone.now() - timedelta(days=2))
    kept = follow_up_of(recent, cast, timezone.now(), cast.specialist)
    cast.org_a.retention_days = 30
    cast.org_a.save()
    out = StringIO()
    call_command("retention", stdout=out)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert (old.reason, Attempt.objects.get().note, old.state) == ("", "", State.OPEN)
    assert kept.reason == "Check on Ana"
    call_command("retention", stdout=out)  # again: nothing more to blank, nothing else touched
    kept.refresh_from_db()
    assert kept.reason == "Check on Ana"
