"""Hang-ups: POST /api/calls/{id}/hangup and POST /api/calls/hangup with callId (SPEC §6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from calldesk.telephony.models import Call, PendingHangup
from tests.apicast import bearer, post_form, post_json, token_for
from tests.cast import Cast


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


def _call(token: str, call_id: str = "h-1", agent: str = "34") -> dict:
    return post_json("/api/calls", {"reportVer": "9991234", "agent": agent, "callId": call_id}, token).json()


def test_a_hang_up_by_id_ends_the_call_with_its_cause_and_time(cast: Cast, token: str) -> None:
    call = _call(token)
    response = post_json(
        f"/api/calls/{call['id']}/hangup", {"cause": "noAnswer", "endedAt": "2026-03-01T10:00:05Z"}, token
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "ended" and body["endReason"] == "noAnswer"
    assert body["endedAt"] == "2026-03-01T10:00:05Z"
    stored = Call.objects.get()
    assert stored.ended_at == datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC) and stored.end_reason == "noAnswer"


def test_a_hang_up_by_call_id_ends_the_call(cast: Cast, token: str) -> None:
    _call(token, "by-id")
    response = post_form("/api/calls/hangup", {"callId": "by-id", "cause": "cancel"}, token)
    assert response.status_code == 200 and response.json()["endReason"] == "cancel"
    assert Call.objects.get().ended_at is not None


def test_ended_at_is_read_like_call_start_in_the_organizations_zone(cast: Cast, token: str) -> None:
    call = _call(token)
    post_json(f"/api/calls/{call['id']}/hangup", {"cause": "busy", "endedAt": "2026-03-01 05:00:05"}, token)
    # Lifeline is in New York: 05:00 there is 10:00 UTC.
    assert Call.objects.get().ended_at == datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC)


def test_without_ended_at_the_call_ends_now(cast: Cast, token: str) -> None:
    call = _call(token)
    before = datetime.now(UTC)
    post_json(f"/api/calls/{call['id']}/hangup", {"cause": "busy"}, token)
    ended = Call.objects.get().ended_at
    assert ended is not None and ended >= before


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("normalClearing", "normalClearing"),
        ("busy", "busy"),
        ("cancel", "cancel"),
        ("noAnswer", "noAnswer"),
        ("congestion", "congestion"),
        ("notFound", "notFound"),
        ("forwarded", "forwarded"),
        ("NOANSWER", "noAnswer"),
        ("callerHungUpInQueue", "callerHungUpInQueue"),
        ("", "unknown"),
    ],
)
def test_causes_are_spelled_as_the_spec_spells_them_and_others_kept_as_sent(
    cast: Cast, token: str, sent: str, kept: str
) -> None:
    call = _call(token)
    post_json(f"/api/calls/{call['id']}/hangup", {"cause": sent}, token)
    assert Call.objects.get().end_reason == kept


def test_a_repeated_or_late_hang_up_changes_nothing(cast: Cast, token: str) -> None:
    call = _call(token)
    path = f"/api/calls/{call['id']}/hangup"
    first = post_json(path, {"cause": "cancel", "endedAt": "2026-03-01T10:00:05Z"}, token).json()
    again = post_json(path, {"cause": "normalClearing", "endedAt": "2026-03-01T11:00:00Z"}, token)
    assert again.status_code == 200 and again.json() == first
    by_call_id = post_json("/api/calls/hangup", {"callId": "h-1", "cause": "busy"}, token)
    assert by_call_id.json()["endReason"] == "cancel"
    assert Call.objects.get().end_reason == "cancel"


def test_an_ended_call_never_goes_back_to_ringing_when_posted_again(cast: Cast, token: str) -> None:
    _call(token, "done")
    post_json("/api/calls/hangup", {"callId": "done", "cause": "busy"}, token)
    again = post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "done"}, token)
    assert again.status_code == 200 and again.json()["state"] == "ended"


def test_a_hang_up_before_its_call_is_kept_and_joins_the_call_when_it_arrives(cast: Cast, token: str) -> None:
    early = post_json("/api/calls/hangup", {"callId": "early", "cause": "cancel", "endedAt": "1772359205"}, token)
    assert early.status_code == 202
    assert early.json() == {
        "callId": "early",
        "state": "pending",
        "message": "No call with this callId yet; the hang-up is kept for it.",
    }
    assert post_json("/api/calls/hangup", {"callId": "early", "cause": "busy"}, token).status_code == 202
    assert PendingHangup.objects.count() == 1
    call = _call(token, "early")
    assert call["state"] == "ended" and call["endReason"] == "cancel"
    assert call["endedAt"] == "2026-03-01T10:00:05Z"
    assert not PendingHangup.objects.exists()


def test_an_unknown_call_is_404_and_a_malformed_id_too(cast: Cast, token: str) -> None:
    for path in ("/api/calls/00000000-0000-0000-0000-000000000000/hangup", "/api/calls/not-a-uuid/hangup"):
        response = post_json(path, {"cause": "busy"}, token)
        assert response.status_code == 404 and response.json()["message"] == "No such call."


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"cause": "busy", "colour": "red"}, "colour"),
        ({"cause": 17}, "cause"),
        ({"cause": ["busy"]}, "cause"),
        ({"cause": "x" * 41}, "cause"),
        ({"cause": "busy", "endedAt": "yesterday-ish"}, "endedAt"),
        ({"cause": "busy", "endedAt": {"at": 1}}, "endedAt"),
    ],
)
def test_bad_hang_up_bodies_get_a_message_for_the_field(cast: Cast, token: str, payload: dict, field: str) -> None:
    call = _call(token)
    response = post_json(f"/api/calls/{call['id']}/hangup", payload, token)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert Call.objects.get().ended_at is None


@pytest.mark.parametrize("payload", [{"cause": "busy"}, {"callId": "", "cause": "busy"}, {"callId": "x" * 251}])
def test_a_hang_up_by_call_id_needs_a_usable_call_id(cast: Cast, token: str, payload: dict) -> None:
    response = post_json("/api/calls/hangup", payload, token)
    assert response.status_code == 422 and "callId" in response.json()["errors"]
    assert not PendingHangup.objects.exists()


def test_get_reads_the_call_back_with_its_state(cast: Cast, token: str) -> None:
    call = _call(token)
    read = Client().get(f"/api/calls/{call['id']}", **bearer(token))
    assert read.status_code == 200 and read.json() == call
    post_json(f"/api/calls/{call['id']}/hangup", {"cause": "busy"}, token)
    assert Client().get(f"/api/calls/{call['id']}", **bearer(token)).json()["state"] == "ended"


def test_hang_up_endpoints_refuse_get(cast: Cast, token: str) -> None:
    call = _call(token)
    assert Client().get(f"/api/calls/{call['id']}/hangup", **bearer(token)).status_code == 405
    assert Client().get("/api/calls/hangup?callId=h-1", **bearer(token)).status_code in (404, 405)
