"""The connector as a user runs it (a real process, AMI source, API sink) against the real
Asterisk 22.10.1 recording replayed over TCP: every call posted as the helpline expects, a
connector killed and restarted mid-recording loses nothing, a refused login is said plainly.

The peer is tests/connector/asterisk_replay.py, a replay of the recording (Asterisk is not
packaged in Debian): it answers CoreShowChannels and QueueStatus from the recording's state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connector.asterisk_replay import FakeAsterisk
from tests.connector.harness import Connector, Receiver, wait_until, write_settings
from tests.connector.recorded_calls import AMI_AGENTS, MARIA, by_call, expected_posts

PATHS = {"/api/calls": "call", "/api/calls/answer": "answer", "/api/calls/hangup": "hangup"}


def start(tmp_path: Path, receiver: Receiver, asterisk: FakeAsterisk, pop_on: str = "answered") -> Connector:
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": receiver.url, "report_ver": "9991234", "sink": "api", "token": "cdk_" + "a" * 40},
            "connector": {"sources": "ami", "retry_max": "0.5"},
            "ami": {
                "port": str(asterisk.port),
                "username": "calldesk",
                "secret": "calldesk-rig-secret",
                "pop_on": pop_on,
                "reconnect_max": "1",
            },
            "ami.agents": AMI_AGENTS,
        },
    )
    return Connector(settings)


def posted(receiver: Receiver) -> list[tuple[str, dict[str, str]]]:
    return [(PATHS[r.path], r.body) for r in receiver.requests if r.path in PATHS]


@pytest.fixture
def asterisk() -> Iterator[FakeAsterisk]:
    server = FakeAsterisk("run1").start()
    yield server
    server.stop()


def test_every_call_of_the_recording_reaches_calldesk_with_its_answer_and_cause(
    tmp_path: Path, receiver: Receiver, asterisk: FakeAsterisk
) -> None:
    connector = start(tmp_path, receiver, asterisk, "ringing")
    expected = expected_posts("run1", "ringing")
    try:
        wait_until(lambda: asterisk.client is not None, what="the login")
        asterisk.play_until(len(asterisk.blocks))
        total = sum(len(posts) for posts in expected.values())
        wait_until(lambda: len(posted(receiver)) >= total, timeout=30, what=f"{total} posts")
    finally:
        connector.stop()
    assert by_call(posted(receiver)) == expected
    assert asterisk.actions[:2] == ["CoreShowChannels", "QueueStatus"]
    assert "Getvar" not in asterisk.actions, "nothing was in progress at the login: nothing to ask"
    log = connector.log()
    assert "calldesk-rig-secret" not in log and "2025550101" not in log and "Jane" not in log


def test_a_connector_killed_and_restarted_mid_call_loses_nothing(
    tmp_path: Path, receiver: Receiver, asterisk: FakeAsterisk
) -> None:
    """As recorded: killed 1.5 s into call 9 (t=26.5), back 4 s later. Then killed again while
    call 14 rings and back after it is answered, and a third time, for a moment, mid-talk."""
    expected = expected_posts("run1", "answered")
    outages = [(26.529, 30.543), (47.6, 51.0), (56.0, 56.0)]
    position = 0
    for killed, back in outages:
        connector = start(tmp_path, receiver, asterisk)
        wait_until(lambda: asterisk.client is not None, what="the login")
        asterisk.play_until(asterisk.index_at(killed))
        asterisk.wait_sent()
        # Everything sent is read before the kill: posts for the calls that were ever posted.
        wait_until(lambda: _settled(receiver), timeout=10, what="the posts so far")
        connector.kill()
        wait_until(lambda: asterisk.client is None, what="the connection to drop")
        asterisk.skip_to(asterisk.index_at(back))
        position = asterisk.position
    connector = start(tmp_path, receiver, asterisk)
    try:
        wait_until(lambda: asterisk.client is not None, what="the login")
        asterisk.play_until(len(asterisk.blocks))
        total = sum(len(posts) for posts in expected.values())
        wait_until(lambda: len(posted(receiver)) >= total, timeout=30, what=f"{total} posts")
    finally:
        connector.stop()
    assert position > 0
    # Call 15 began during the second outage: caught up at the reconnection, its number's
    # presentation asked of Asterisk (Getvar); everything exactly as without any outage.
    assert "Getvar" in asterisk.actions
    got = by_call(posted(receiver))
    assert got == expected
    assert got["1796502387.54"][:2] == [("call", MARIA, "2025550109", "8886201111", "helpline"), ("answer", MARIA)]


def test_a_call_whose_first_channel_hung_up_goes_on_across_a_reconnection_while_its_caller_is_there(
    tmp_path: Path, receiver: Receiver, asterisk: FakeAsterisk
) -> None:
    """Call 7's first channel (a Local channel's ;1) hangs up, with no cause, a moment before its
    ;2, the caller's side in the queue (cause 16). A reconnection between the two lists the ;2
    alone: the call goes on and ends with the ;2's Hangup, not as gone with the ;1's cause
    (which read as `unknown`). Under load a first connection can fall there too."""
    first, caller = _hangup("1796502369.18", asterisk), _hangup("1796502369.19", asterisk)
    assert first < caller
    expected = expected_posts("run1", "answered")
    connector = start(tmp_path, receiver, asterisk)
    try:
        wait_until(lambda: asterisk.client is not None, what="the login")
        asterisk.play_until(first + 1)
        asterisk.wait_sent()
        wait_until(lambda: _settled(receiver), timeout=10, what="the posts so far")
        asterisk.drop_client()
        wait_until(lambda: asterisk.actions.count("CoreShowChannels") >= 2, timeout=10, what="the new list")
        wait_until(lambda: _settled(receiver), timeout=10, what="the resync's posts")
        asterisk.play_until(len(asterisk.blocks))
        total = sum(len(posts) for posts in expected.values())
        wait_until(lambda: len(posted(receiver)) >= total, timeout=30, what=f"{total} posts")
    finally:
        connector.stop()
    got = by_call(posted(receiver))
    assert got["1796502369.18"] == expected["1796502369.18"]
    assert got == expected


def _hangup(unique: str, asterisk: FakeAsterisk) -> int:
    return next(
        i
        for i, block in enumerate(asterisk.blocks)
        if block.fields.get("Event") == "Hangup" and block.fields.get("Uniqueid") == unique
    )


def _settled(receiver: Receiver) -> bool:
    import time

    before = len(receiver.requests)
    time.sleep(0.6)
    return len(receiver.requests) == before


def test_a_refused_login_is_said_plainly_and_retried(tmp_path: Path, receiver: Receiver) -> None:
    asterisk = FakeAsterisk("run1", secret="other").start()
    connector = start(tmp_path, receiver, asterisk)
    try:
        connector.wait_for_log("Asterisk refused the login: check [ami] username and secret")
        wait_until(lambda: len(asterisk.logins) >= 2, timeout=10, what="a second login attempt")
    finally:
        connector.stop()
        asterisk.stop()
    assert receiver.calls() == []
    assert "Traceback" not in connector.log()


def test_events_that_come_before_the_list_of_calls_are_older_than_it(
    tmp_path: Path, receiver: Receiver, asterisk: FakeAsterisk
) -> None:
    """Asterisk sends events the moment the login succeeds, before it answers CoreShowChannels:
    a call begun and ended in between is heard from its own events (its caller's number shown,
    as its NewCallerid allowed), not caught up from a list that no longer has it."""
    asterisk.play_until(len(asterisk.blocks))  # the whole recording flows as soon as the login succeeds
    connector = start(tmp_path, receiver, asterisk, "ringing")
    expected = expected_posts("run1", "ringing")
    try:
        total = sum(len(posts) for posts in expected.values())
        wait_until(lambda: len(posted(receiver)) >= total, timeout=30, what=f"{total} posts")
    finally:
        connector.stop()
    assert by_call(posted(receiver)) == expected
