"""Hang-up causes as supervisors read them: SPEC §6's names whatever the phone system sent
(Q.850 numbers, SIP codes, Asterisk's names), never a bare number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calldesk.telephony.causes import CAUSES, read_cause
from calldesk.telephony.models import Call
from tests.apicast import post_form, post_json, token_for
from tests.cast import Cast


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ("16", "normalClearing"),
        ("17", "busy"),
        ("18", "noAnswer"),
        ("19", "noAnswer"),
        ("21", "busy"),
        ("26", "answeredElsewhere"),
        ("1", "notFound"),
        ("3", "notFound"),
        ("34", "congestion"),
        ("38", "congestion"),
        ("41", "congestion"),
        ("42", "congestion"),
        ("0", "unknown"),
        ("", "unknown"),
        ("  ", "unknown"),
        ("99", "unknown"),
        ("127", "unknown"),
        ("486", "busy"),
        ("487", "cancel"),
        ("NORMAL_CLEARING", "normalClearing"),
        ("NO_ANSWER", "noAnswer"),
        ("User busy", "busy"),
        ("ANSWERED_ELSEWHERE", "answeredElsewhere"),
        ("noanswer", "noAnswer"),
        ("callerHungUpInQueue", "callerHungUpInQueue"),
    ],
)
def test_a_cause_reads_as_its_spec_name(sent: str, read: str) -> None:
    assert read_cause(sent) == read


@given(st.integers(min_value=0, max_value=10**6))
def test_a_number_never_reads_as_a_bare_number(number: int) -> None:
    assert read_cause(str(number)) in CAUSES


@pytest.mark.parametrize(("sent", "read"), [("0", "unknown"), ("16", "normalClearing"), ("", "unknown")])
def test_the_api_and_zammads_hang_ups_record_the_name(cast: Cast, sent: str, read: str) -> None:
    token = token_for(cast.admin)
    made = post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "q-1"}, token).json()
    ended = post_json(f"/api/calls/{made['id']}/hangup", {"cause": sent}, token).json()
    assert ended["endReason"] == read
    post_form(f"/api/v1/cti/{token}", {"event": "newCall", "callId": "z-1", "from": "9991234567"})
    post_form(f"/api/v1/cti/{token}", {"event": "hangup", "callId": "z-1", "cause": sent})
    assert Call.objects.get(external_id="z-1").end_reason == read


def test_a_pending_hang_up_keeps_the_name_too(cast: Cast) -> None:
    token = token_for(cast.admin)
    assert post_json("/api/calls/hangup", {"callId": "p-1", "cause": "17"}, token).status_code == 202
    made = post_json("/api/calls", {"reportVer": "9991234", "callId": "p-1"}, token).json()
    assert made["endReason"] == "busy"


@pytest.mark.parametrize("cause", ["26", "answeredElsewhere", "ANSWERED_ELSEWHERE"])
def test_answered_elsewhere_is_not_an_end_the_call_goes_on_at_the_other_phone(cast: Cast, cause: str) -> None:
    token = token_for(cast.admin)
    made = post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "f-1"}, token).json()
    stopped = post_json(f"/api/calls/{made['id']}/hangup", {"cause": cause}, token).json()
    assert stopped["state"] == "talking" and stopped["endReason"] == "" and stopped["answeredAt"]
    # Kim's phone took it: the draft is hers; the real end comes later.
    post_json("/api/calls/answer", {"callId": "f-1", "agent": "35"}, token)
    assert post_json("/api/calls/hangup", {"callId": "f-1", "cause": "16"}, token).json()["endReason"] == (
        "normalClearing"
    )
    # Before its call: kept as an answer, not a hang-up.
    assert post_json("/api/calls/hangup", {"callId": "f-2", "cause": cause}, token).status_code == 202
    assert post_json("/api/calls", {"reportVer": "9991234", "callId": "f-2"}, token).json()["state"] == "talking"
