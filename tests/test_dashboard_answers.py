"""The dashboards count answered, abandoned (by how long the caller waited) and missed calls,
with a report or without one (SPEC §6)."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from calldesk.reports.models import CallReport
from calldesk.reports.services import abandon_report, close_report
from calldesk.telephony.lifecycle import answer_call, hang_up, record_call
from calldesk.telephony.models import Call
from tests.cast import Cast, make_form
from tests.test_dashboard import charts


def call(cast: Cast, ani: str, agent: str = "nobody@lifeline.example", minutes_ago: int = 30) -> Call:
    pairs = [("reportVer", "9991234"), ("ani", ani), ("agent", agent)]
    recorded = record_call(cast.org_a, pairs).call
    Call.objects.filter(pk=recorded.pk).update(received_at=timezone.now() - timedelta(minutes=minutes_ago))
    recorded.refresh_from_db()
    return recorded


def ended(cast: Cast, ani: str, cause: str, after: timedelta, agent: str = "nobody@lifeline.example") -> Call:
    found = call(cast, ani, agent)
    hang_up(found, cause, found.received_at + after)
    return found


def test_calls_are_counted_answered_abandoned_by_wait_and_missed_with_or_without_a_report(
    cast: Cast, specialist_client: Client, supervisor_client: Client
) -> None:
    answer_call(call(cast, "9995550501"), cast.specialist)  # answered by the phone system's event
    assert specialist_client.get("/Telephony/GetCallReport?reportVer=9991234&ani=9995550502").status_code == 303
    ended(cast, "9995550503", "cancel", timedelta(seconds=10))
    ended(cast, "9995550504", "normalClearing", timedelta(seconds=45), agent="sam@lifeline.example")
    ended(cast, "9995550505", "cancel", timedelta(seconds=90))
    ended(cast, "9995550506", "cancel", timedelta(minutes=5))
    ended(cast, "9995550507", "noAnswer", timedelta(seconds=20))
    ended(cast, "9995550508", "busy", timedelta(seconds=1), agent="sam@lifeline.example")
    call(cast, "9995550509", minutes_ago=5 * 60)  # no event ever ended it: past the limit, missed
    call(cast, "9995550510")  # still ringing
    answered_then_hung_up = call(cast, "9995550511")
    answer_call(answered_then_hung_up, cast.specialist)
    hang_up(answered_then_hung_up, "cancel", timezone.now())
    found = charts(supervisor_client, "")
    assert found["answers"] == {
        "Answered": 3,
        "Abandoned: the caller hung up before an answer": 4,
        "Missed: ended unanswered (no answer, busy, timeout, unknown)": 3,
        "Still ringing": 1,
    }
    assert found["abandoned_wait"] == {"under 30 s": 1, "30–60 s": 1, "1–2 min": 1, "over 2 min": 1}
    page = supervisor_client.get("/dashboards/").content.decode()
    assert '<strong id="total-answered">3</strong>' in page
    assert '<strong id="total-abandoned">4</strong>' in page
    assert '<strong id="total-missed">3</strong>' in page
    assert "abandoned</em> when the caller hung up before anyone answered" in page


def test_the_range_the_form_and_the_organization_apply(cast: Cast, supervisor_client: Client) -> None:
    ended(cast, "9995550521", "cancel", timedelta(seconds=5))
    record_call(cast.org_b, [("reportVer", "5550001"), ("ani", "4420790001")])
    assert sum(charts(supervisor_client, "")["answers"].values()) == 1
    assert sum(charts(supervisor_client, "?from=2026-03-01&to=2026-03-10")["answers"].values()) == 0
    quiet = make_form(cast.org_a, "7770001", {"fields": [{"key": "notes", "label": "Notes", "type": "text"}]})
    assert sum(charts(supervisor_client, f"?form={quiet.public_id}")["answers"].values()) == 0
    assert sum(charts(supervisor_client, f"?form={cast.form_a.public_id}")["answers"].values()) == 1


def test_a_call_its_report_ended_counts_answered_and_never_as_ended_by_the_phone_system(
    cast: Cast, supervisor_client: Client
) -> None:
    closed = CallReport.objects.get(call=call(cast, "9995550531", agent="sam@lifeline.example"))
    close_report(closed, cast.specialist, "hang_up")  # no answer event, no hang-up ever came
    abandoned = CallReport.objects.get(call=call(cast, "9995550532", agent="sam@lifeline.example"))
    abandon_report(abandoned, cast.supervisor)
    found = charts(supervisor_client, "")
    assert found["answers"]["Answered"] == 1
    # A draft closed as abandoned does not end its call: it is missed once the stale limit passes.
    assert found["answers"]["Still ringing"] == 1
    assert sum(found["hangups"].values()) == 0


def test_calls_are_counted_by_a_known_cause_but_never_searched_by_a_sealed_one(db: None) -> None:
    from django.core.exceptions import FieldError

    from calldesk.telephony.models import Call

    assert list(Call.objects.filter(end_reason__in=["cancel", "normalClearing"])) == []
    assert list(Call.objects.filter(end_reason="unknown")) == []
    for sealed in ({"end_reason": "SIP 487 from the carrier"}, {"end_reason__in": ["cancel", "Q.850 cause 127"]}):
        try:
            list(Call.objects.filter(**sealed))
        except FieldError as error:
            assert "sealed at rest" in str(error)
        else:
            raise AssertionError(f"{sealed} was looked for in a sealed column")
