"""The AMI source against a replayed Asterisk manager session: queue and dial events pop the
agent who answers (or is rung), hang-ups carry their causes, a dropped connection is resumed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connector.ami_server import AmiReplay
from tests.connector.harness import Connector, Receiver, wait_until, write_settings

TRANSCRIPT = Path(__file__).parent / "ami" / "queue_session.txt"


def start(tmp_path: Path, receiver: Receiver, replay: AmiReplay, pop_on: str) -> Connector:
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": receiver.url, "report_ver": "9991234", "sink": "api", "token": "cdk_" + "a" * 40},
            "connector": {"sources": "ami", "retry_max": "0.5"},
            "ami": {
                "port": str(replay.port),
                "username": replay.username,
                "secret": "s3cret",
                "pop_on": pop_on,
                "reconnect_max": "2",
            },
            "ami.agents": {"Alice Smith": "alice@acme.com", "PJSIP/202": "bob@acme.com", "203": "carol@acme.com"},
        },
    )
    return Connector(settings)


@pytest.fixture
def replay() -> Iterator[AmiReplay]:
    server = AmiReplay(TRANSCRIPT).start()
    yield server
    server.stop()


def test_answered_calls_pop_for_the_agent_who_answered_and_end_with_their_cause(
    tmp_path: Path, receiver: Receiver, replay: AmiReplay
) -> None:
    connector = start(tmp_path, receiver, replay, "answered")
    try:
        wait_until(lambda: len(receiver.hangups()) == 2, timeout=20, what="two calls to end")
        time.sleep(1)
    finally:
        connector.stop()
    calls = sorted(receiver.calls(), key=lambda c: c["callId"])
    assert [(c["callId"], c["agent"], c["ani"], c["dnis"]) for c in calls] == [
        ("1764446400.11", "alice@acme.com", "5551230401", "8886201111"),  # queue: by member name
        ("1764446460.21", "bob@acme.com", "anonymous", "8886202222"),  # ring group: by interface
    ]
    assert calls[0]["queue"] == "crisis" and calls[0]["reportVer"] == "9991234"
    assert sorted((h["callId"], h["cause"]) for h in receiver.hangups()) == [
        ("1764446400.11", "normalClearing"),
        ("1764446460.21", "normalClearing"),  # its Hangup came after the reconnection
    ]
    assert replay.connections == 2 and replay.logins == [("calldesk", "s3cret")] * 2
    log = connector.log()
    assert "AMI connection to 127.0.0.1" in log and "lost or refused" in log
    assert log.count("AMI logged in") == 2
    assert "s3cret" not in log and "5551230401" not in log and "JANE" not in log


def test_ringing_pops_every_rung_call_and_maps_abandoned_and_busy(
    tmp_path: Path, receiver: Receiver, replay: AmiReplay
) -> None:
    connector = start(tmp_path, receiver, replay, "ringing")
    try:
        wait_until(lambda: len(receiver.hangups()) == 4, timeout=20, what="four calls to end")
        time.sleep(1)
    finally:
        connector.stop()
    assert sorted((c["callId"], c["agent"]) for c in receiver.calls()) == [
        ("1764446400.11", "alice@acme.com"),
        ("1764446460.21", "bob@acme.com"),
        ("1764446520.31", "alice@acme.com"),
        ("1764446580.41", "carol@acme.com"),  # by extension
    ]
    assert [h["cause"] for h in sorted(receiver.hangups(), key=lambda h: h["callId"])] == [
        "normalClearing",
        "normalClearing",
        "cancel",
        "busy",
    ]


def test_a_refused_login_is_said_plainly_and_retried(tmp_path: Path, receiver: Receiver) -> None:
    replay = AmiReplay(TRANSCRIPT, secret="other").start()
    connector = start(tmp_path, receiver, replay, "answered")
    try:
        connector.wait_for_log("Asterisk refused the login: check [ami] username and secret")
        wait_until(lambda: len(replay.logins) >= 2, timeout=10, what="a second login attempt")
    finally:
        connector.stop()
        replay.stop()
    assert receiver.calls() == []
    assert "Traceback" not in connector.log()
