"""What the API and the CTI adapter announce to the push (telephony's `call_changed`, which push
listens to): every change of a call once, and the draft's specialist when their console should
open it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from calldesk.telephony.signals import call_changed
from tests.apicast import post_json, token_for
from tests.cast import Cast
from tests.test_api_cti import NEW_CALL, zammad


@pytest.fixture
def published() -> Iterator[list[tuple[str, str, str]]]:
    """(callId, state, email of pop_for or "") of each announcement, in order: what the push
    hears, as one more listener beside it."""
    seen: list[tuple[str, str, str]] = []

    def heard(sender: Any, call: Any, pop_for: Any = None, **kwargs: Any) -> None:
        seen.append((call.external_id, call.state, pop_for.email if pop_for else ""))

    call_changed.connect(heard, dispatch_uid="test-api-pushes")
    yield seen
    call_changed.disconnect(dispatch_uid="test-api-pushes")


def test_a_posted_call_pops_for_its_agent_once_however_often_it_is_retried(
    cast: Cast, published: list[tuple[str, str, str]]
) -> None:
    token = token_for(cast.admin)
    for _ in range(3):
        post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "p1"}, token)
    post_json("/api/calls", {"reportVer": "9991234", "agent": "nobody", "callId": "p2"}, token)
    assert published == [("p1", "ringing", "sam@lifeline.example"), ("p2", "ringing", "")]


def test_hang_ups_are_pushed_once(cast: Cast, published: list[tuple[str, str, str]]) -> None:
    token = token_for(cast.admin)
    post_json("/api/calls", {"reportVer": "9991234", "callId": "p1"}, token)
    for _ in range(2):
        post_json("/api/calls/hangup", {"callId": "p1", "cause": "cancel"}, token)
    assert published == [("p1", "ringing", ""), ("p1", "ended", "")]


def test_a_zammad_answer_pops_the_draft_for_whoever_answered(cast: Cast, published: list[tuple[str, str, str]]) -> None:
    token = token_for(cast.admin)
    zammad(token, NEW_CALL)
    for _ in range(2):
        zammad(token, {"event": "answer", "callId": NEW_CALL["callId"], "answeringNumber": "35"})
    zammad(token, {"event": "hangup", "callId": NEW_CALL["callId"], "cause": "normalClearing"})
    call_id = NEW_CALL["callId"]
    assert published == [
        (call_id, "ringing", ""),
        (call_id, "talking", "kim@lifeline.example"),
        (call_id, "ended", ""),
    ]
