"""Calls wait on disk while Calldesk cannot be reached, and each reaches it exactly once."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path

from tests.connector.harness import Connector, Receiver, wait_until, write_settings

TOKEN = "cdk_" + "q" * 40


def settings_for(tmp_path: Path, url: str) -> Path:
    return write_settings(
        tmp_path,
        {
            "calldesk": {"url": url, "report_ver": "9991234", "sink": "api", "token": TOKEN},
            "connector": {"sources": "stdin", "retry_max": "0.3", "queue_file": "queue.sqlite3"},
        },
    )


def feed(connector: Connector, calls: list[dict[str, str]]) -> None:
    assert connector.process.stdin is not None
    for body in calls:
        connector.process.stdin.write(json.dumps(body).encode() + b"\n")
    connector.process.stdin.flush()


def test_calls_made_while_calldesk_is_down_arrive_once_when_it_is_back(tmp_path: Path) -> None:
    receiver = Receiver()  # not started: Calldesk is down
    connector = Connector(settings_for(tmp_path, receiver.url), stdin=subprocess.PIPE)
    calls = [{"ani": f"+1555123{n:04d}", "callId": f"down-{n}"} for n in range(20)]
    feed(connector, [*calls[:10], {"event": "hangup", "callId": "down-3", "cause": "cancel"}, *calls[10:]])
    connector.wait_for_log("call #21 queued")
    connector.wait_for_log("waits: Calldesk cannot be reached")
    time.sleep(1)
    receiver.start()
    try:
        wait_until(lambda: len(receiver.requests) == 21, what="every call and the hang-up posted")
        time.sleep(1)  # nothing more may come
    finally:
        connector.stop()
        receiver.stop()
    assert sorted(c["callId"] for c in receiver.calls()) == sorted(c["callId"] for c in calls)
    sent = [(r.path, r.body["callId"]) for r in receiver.requests]
    assert sent.index(("/api/calls/hangup", "down-3")) > sent.index(("/api/calls", "down-3")), (
        "a hang-up never overtakes its call"
    )


def test_a_connector_killed_while_sending_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    receiver = Receiver(delay=0.02).start()
    settings = settings_for(tmp_path, receiver.url)
    calls = [{"ani": f"+1555124{n:04d}", "callId": f"kill-{n}"} for n in range(60)]
    receiver.stop()
    first = Connector(settings, stdin=subprocess.PIPE)
    feed(first, calls)
    first.wait_for_log("call #60 queued")
    receiver.start()
    # Kill it again and again while it sends, at whatever point of a request it is.
    for _ in range(4):
        wait_until(lambda: len(receiver.requests) > 0, what="sending to start")
        time.sleep(0.15)
        first.kill()
        first = Connector(settings, stdin=subprocess.PIPE)
    try:
        wait_until(
            lambda: {c["callId"] for c in receiver.calls()} == {c["callId"] for c in calls},
            timeout=30,
            what="every call to arrive",
        )
        time.sleep(1)
    finally:
        first.stop()
        receiver.stop()
    counts = Counter(c["callId"] for c in receiver.calls())
    # A kill between Calldesk's answer and the removal from the queue sends that call once more, with
    # its callId: Calldesk answers 200 with the same call, so no draft is made twice. Each kill can
    # catch every sender mid-request: at most `parallel` repeats per kill.
    assert set(counts) == {c["callId"] for c in calls}
    parallel = 4  # the settings' default
    assert sum(n - 1 for n in counts.values()) <= 4 * parallel, counts
