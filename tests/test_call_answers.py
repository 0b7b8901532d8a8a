"""Answers and states: POST /api/calls/{id}/answer, POST /api/calls/answer, the telephony URL's
answer, the draft of a ringall call ending with who answered, and reports ending their calls
(SPEC §6 "Answers and states")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from calldesk.dashboards.stats import build_dashboard
from calldesk.push.models import PushEvent
from calldesk.reports.models import CallReport, ReportChange, Status
from calldesk.telephony.models import Call, PendingAnswer, PendingHangup
from tests.apicast import bearer, post_form, post_json, token_for
from tests.cast import Cast
from tests.reporting import JSON, editor_data


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


def _call(token: str, call_id: str = "a-1", agent: str | None = "34") -> dict:
    body = {"reportVer": "9991234", "callId": call_id, **({"agent": agent} if agent else {})}
    return post_json("/api/calls", body, token).json()


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _unfinished(user: object) -> list[CallReport]:
    return list(CallReport.objects.filter(status=Status.DRAFT, author=user))


def test_an_answer_by_id_makes_the_call_talking_by_whom_and_since_when(cast: Cast, token: str) -> None:
    call = _call(token)
    response = post_json(
        f"/api/calls/{call['id']}/answer", {"agent": "34", "answeredAt": "2026-03-01T10:00:07Z"}, token
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "talking" and body["answeredAt"] == "2026-03-01T10:00:07Z"
    assert body["answeredBy"] == {"email": "sam@lifeline.example", "name": "Sam Specialist", "agentId": "34"}
    stored = Call.objects.get()
    assert stored.answered_by == cast.specialist
    assert stored.answered_at == datetime(2026, 3, 1, 10, 0, 7, tzinfo=UTC)
    # Its own agent answered: the same draft, nothing withdrawn.
    assert body["draft"]["id"] == call["draft"]["id"]


def test_an_answer_by_call_id_form_encoded_reads_agent_by_email_and_answered_at_like_call_start(
    cast: Cast, token: str
) -> None:
    _call(token, "by-id", agent=None)
    response = post_form(
        "/api/calls/answer",
        {"callId": "by-id", "agent": "KIM@lifeline.example", "answeredAt": "20260301050007123"},
        token,
    )
    assert response.status_code == 200 and response.json()["state"] == "talking"
    stored = Call.objects.get()
    # 05:00:07.123 in New York (the organization's zone), read from the compact form.
    assert stored.answered_at == datetime(2026, 3, 1, 10, 0, 7, 123000, tzinfo=UTC)
    assert stored.answered_by == cast.specialist2
    # The call had no draft: the answerer's is opened.
    assert CallReport.objects.get().author == cast.specialist2


def test_answers_are_idempotent_and_the_first_counts(cast: Cast, token: str) -> None:
    call = _call(token)
    path = f"/api/calls/{call['id']}/answer"
    first = post_json(path, {"agent": "34", "answeredAt": "2026-03-01T10:00:07Z"}, token).json()
    again = post_json(path, {"agent": "35", "answeredAt": "2026-03-01T10:09:00Z"}, token)
    assert again.status_code == 200 and again.json() == first
    assert post_json("/api/calls/answer", {"callId": "a-1"}, token).json() == first
    assert Call.objects.get().answered_by == cast.specialist
    assert CallReport.objects.count() == 1


def test_an_ended_call_never_goes_back_to_talking(cast: Cast, token: str) -> None:
    call = _call(token)
    post_json(f"/api/calls/{call['id']}/hangup", {"cause": "cancel"}, token)
    late = post_json(f"/api/calls/{call['id']}/answer", {"agent": "35"}, token)
    assert late.status_code == 200 and late.json()["state"] == "ended" and late.json()["answeredAt"] is None
    stored = Call.objects.get()
    assert stored.answered_at is None and stored.answered_by is None
    assert CallReport.objects.get().author == cast.specialist


def test_an_answer_before_its_call_is_kept_202_and_applied_when_the_call_arrives(cast: Cast, token: str) -> None:
    early = post_json("/api/calls/answer", {"callId": "early", "agent": "35", "answeredAt": "1772359207"}, token)
    assert early.status_code == 202
    assert early.json() == {
        "callId": "early",
        "state": "pending",
        "message": "No call with this callId yet; the answer is kept for it.",
    }
    assert post_json("/api/calls/answer", {"callId": "early", "agent": "34"}, token).status_code == 202
    assert PendingAnswer.objects.count() == 1
    # The call names agent 34 (the first rung), but 35 answered: the draft is 35's.
    call = _call(token, "early", agent="34")
    assert call["state"] == "talking" and call["answeredAt"] == "2026-03-01T10:00:07Z"
    assert call["answeredBy"]["agentId"] == "35" and call["agent"]["agentId"] == "35"
    assert CallReport.objects.get().author == cast.specialist2
    assert not _unfinished(cast.specialist)
    assert not PendingAnswer.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"agent": "34", "colour": "red"}, "colour"),
        ({"agent": ["34"]}, "agent"),
        ({"agent": True}, "agent"),
        ({"agent": "x" * 251}, "agent"),
        ({"answeredAt": "soon"}, "answeredAt"),
        ({"answeredAt": {"at": 1}}, "answeredAt"),
    ],
)
def test_bad_answer_bodies_get_a_message_for_the_field(cast: Cast, token: str, payload: dict, field: str) -> None:
    call = _call(token)
    response = post_json(f"/api/calls/{call['id']}/answer", payload, token)
    assert response.status_code == 422 and field in response.json()["errors"]
    assert Call.objects.get().answered_at is None


def test_answers_are_scoped_to_the_tokens_organization(cast: Cast, token: str) -> None:
    from tests.apicast import other_org_token

    call = _call(token)
    other = other_org_token(cast)
    assert post_json(f"/api/calls/{call['id']}/answer", {"agent": "34"}, other).status_code == 404
    # The other organization's answer for the same callId waits for a call of its own.
    assert post_json("/api/calls/answer", {"callId": "a-1", "agent": "34"}, other).status_code == 202
    assert post_json("/api/calls/answer", {"callId": "a-1"}, None).status_code == 401
    assert Call.objects.get().answered_at is None
    assert Client().get(f"/api/calls/{call['id']}/answer", **bearer(token)).status_code == 405


def test_a_ringall_answer_withdraws_the_draft_of_the_agent_who_did_not_answer(cast: Cast, token: str) -> None:
    # pop_on = ringing: the call was posted for agent 34, the first phone rung; agent 35 answered.
    call = _call(token, "ring-all", agent="34")
    first_draft = CallReport.objects.get()
    sam = _client(cast.specialist)
    sam.post(f"/reports/{first_draft.public_id}/save", editor_data(first_draft, f_summary="hello?"), **JSON)
    answered = post_json("/api/calls/answer", {"callId": "ring-all", "agent": "35"}, token).json()
    assert answered["answeredBy"]["agentId"] == "35"
    assert answered["agent"]["agentId"] == "35" and answered["draft"]["id"] != call["draft"]["id"]
    first_draft.refresh_from_db()
    assert first_draft.status == Status.ANSWERED_ELSEWHERE and first_draft.call is None
    assert first_draft.values["summary"] == "hello?"  # what was typed stays
    assert first_draft.changes.last().action == ReportChange.Action.ANSWERED_ELSEWHERE
    # Never in anyone's unfinished calls; Sam cannot write into it any more.
    assert not _unfinished(cast.specialist)
    assert "hello?" not in sam.get("/reports/unfinished/").content.decode()
    late = sam.post(f"/reports/{first_draft.public_id}/save", editor_data(first_draft, f_summary="x"), **JSON)
    assert late.status_code != 200
    # The call's draft is Kim's, in her unfinished calls.
    assert [r.call_id for r in _unfinished(cast.specialist2)] == [Call.objects.get().pk]
    # Sam still reads what he typed, marked as answered elsewhere.
    page = sam.get(f"/reports/{first_draft.public_id}/")
    assert page.status_code == 200 and "Answered elsewhere" in page.content.decode()
    # The dashboards count one call, not two.
    today = timezone.localdate(timezone=cast.org_a.zone)
    assert build_dashboard(cast.org_a, today - timedelta(days=1), today + timedelta(days=1)).total == 1


def test_a_cti_answer_by_another_agent_withdraws_the_first_rung_agents_draft(cast: Cast, token: str) -> None:
    _call(token, "cti-1", agent="34")
    response = Client().post(
        f"/api/v1/cti/{token}",
        {"event": "answer", "callId": "cti-1", "answeringNumber": "kim@lifeline.example"},
    )
    assert response.status_code == 200 and response.json()["state"] == "talking"
    assert CallReport.objects.get(status=Status.ANSWERED_ELSEWHERE).author == cast.specialist
    assert CallReport.objects.get(status=Status.DRAFT).author == cast.specialist2


def test_a_telephony_url_pop_is_answered_by_the_specialist_whose_browser_opened_it(
    cast: Cast, specialist_client: Client
) -> None:
    response = specialist_client.get("/Telephony/GetCallReport?reportVer=9991234&ani=9991234567")
    assert response.status_code == 303
    call = Call.objects.get()
    assert call.state == "talking" and call.answered_by == cast.specialist


def test_forked_ring_pops_of_one_call_id_end_with_the_specialist_who_opened_it_first(cast: Cast, token: str) -> None:
    # The phone system rang both phones; each one's browser opens the URL with the call's ID.
    _call(token, "fork-1", agent=None)
    url = "/Telephony/GetCallReport?reportVer=9991234&ani=9991234567&callId=fork-1"
    kim = _client(cast.specialist2)
    kims = kim.get(url)
    assert kims.status_code == 303
    call = Call.objects.get()
    assert call.answered_by == cast.specialist2
    # Kim's pop again: her same draft.
    assert kim.get(url)["Location"] == kims["Location"]
    assert kim.get(kims["Location"]).status_code == 200
    # Sam's browser opens it after Kim answered (a transfer, a late tab): a call record of his own.
    sams = _client(cast.specialist).get(url)
    assert sams.status_code == 303 and sams["Location"] != kims["Location"]
    assert _client(cast.specialist).get(sams["Location"]).status_code == 200
    assert Call.objects.get(external_id="fork-1").report.author == cast.specialist2


def test_a_pop_of_a_call_whose_draft_is_another_agents_takes_it_over_when_nobody_answered(
    cast: Cast, token: str
) -> None:
    # Posted for agent 34 as it rang; agent 35's browser opens the URL when she picks up.
    _call(token, "fork-2", agent="34")
    response = _client(cast.specialist2).get("/Telephony/GetCallReport?reportVer=9991234&callId=fork-2")
    assert response.status_code == 303
    mine = CallReport.objects.get(public_id=response["Location"].strip("/").split("/")[-1])
    assert mine.author == cast.specialist2 and mine.call == Call.objects.get()
    assert CallReport.objects.get(author=cast.specialist).status == Status.ANSWERED_ELSEWHERE
    assert Call.objects.get().answered_by == cast.specialist2
    # The consoles are told it is talking now, with Kim as its agent.
    event = PushEvent.objects.filter(call=Call.objects.get()).latest("id")
    assert (event.state, event.agent_id) == ("talking", cast.specialist2.pk)


def test_submitting_a_report_ends_its_call_when_no_event_did(cast: Cast, token: str) -> None:
    _call(token, "s-1")
    report = CallReport.objects.get()
    before = timezone.now()
    response = _client(cast.specialist).post(
        f"/reports/{report.public_id}/submit", editor_data(report, f_summary="done"), **JSON
    )
    assert response.status_code == 200
    call = Call.objects.get()
    assert call.state == "ended" and call.end_reason == "normalClearing" and call.ended_at >= before


def test_closing_a_report_ends_its_call_and_an_event_that_ended_it_stays(cast: Cast, token: str) -> None:
    _call(token, "c-1")
    _call(token, "c-2")
    post_json("/api/calls/hangup", {"callId": "c-2", "cause": "busy", "endedAt": "2026-03-01T10:00:00Z"}, token)
    sam = _client(cast.specialist)
    for report in CallReport.objects.all():
        assert sam.post(f"/reports/{report.public_id}/close", {"close_as": "silent"}).status_code == 302
    ended = {c.external_id: (c.end_reason, c.ended_at) for c in Call.objects.all()}
    assert ended["c-1"][0] == "normalClearing" and ended["c-1"][1] is not None
    assert ended["c-2"] == ("busy", datetime(2026, 3, 1, 10, 0, tzinfo=UTC))


def test_maintenance_forgets_pending_events_older_than_a_day(cast: Cast, token: str) -> None:
    for call_id in ("old", "new"):
        post_json("/api/calls/answer", {"callId": call_id, "agent": "34"}, token)
        post_json("/api/calls/hangup", {"callId": call_id, "cause": "busy"}, token)
    old = timezone.now() - timedelta(days=1, minutes=1)
    PendingAnswer.objects.filter(external_id="old").update(received_at=old)
    PendingHangup.objects.filter(external_id="old").update(received_at=old)
    call_command("maintenance")
    assert list(PendingAnswer.objects.values_list("external_id", flat=True)) == ["new"]
    assert list(PendingHangup.objects.values_list("external_id", flat=True)) == ["new"]


def test_a_zammad_answer_with_an_overlong_or_nul_answering_number_is_kept_not_a_500(cast: Cast, token: str) -> None:
    for sent in ("3\x004" + "9" * 600, "kim@lifeline.example\x00"):
        response = Client().post(
            f"/api/v1/cti/{token}", {"event": "answer", "callId": sent[:20], "answeringNumber": sent}
        )
        assert response.status_code == 202
    assert len(PendingAnswer.objects.order_by("id").first().agent) == 250
