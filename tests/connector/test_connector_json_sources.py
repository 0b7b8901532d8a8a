"""JSON lines on standard input and the local webhook: every call reaches Calldesk's API once."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from tests.connector.harness import Connector, Receiver, free_port, wait_until, write_settings

TOKEN = "cdk_" + "t" * 40


def api_settings(tmp_path: Path, receiver: Receiver, **connector: str) -> Path:
    return write_settings(
        tmp_path,
        {
            "calldesk": {"url": receiver.url, "report_ver": "9991234", "sink": "api", "token": TOKEN},
            "connector": {"retry_max": "0.5", **connector},
        },
    )


def test_each_json_line_is_posted_once_with_the_form_and_the_token(tmp_path: Path, receiver: Receiver) -> None:
    settings = api_settings(tmp_path, receiver, sources="stdin")
    connector = Connector(settings, stdin=subprocess.PIPE)
    assert connector.process.stdin is not None
    lines = [
        {"ani": "+15551230001", "dnis": "8886201111", "agent": "34", "callId": "pbx-1"},
        {"ani": "999-123-4567", "language": "112211"},
        {"event": "answer", "callId": "pbx-1", "agent": "35", "answeredAt": "2026-11-29T19:59:00Z"},
        {"event": "hangup", "callId": "pbx-1", "cause": "normalClearing", "endedAt": "2026-11-29T20:00:00Z"},
    ]
    connector.process.stdin.write(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    connector.process.stdin.close()
    assert connector.process.wait(20) == 0
    connector.stop()

    calls = sorted(receiver.calls(), key=lambda c: c["callId"] != "pbx-1")
    assert [c["ani"] for c in calls] == ["+15551230001", "999-123-4567"]
    assert calls[0]["callId"] == "pbx-1" and calls[0]["agent"] == "34" and calls[0]["dnis"] == "8886201111"
    assert all(c["reportVer"] == "9991234" for c in calls)
    assert calls[1]["language"] == "112211"
    assert calls[1]["callId"].startswith("cdc-"), "a call without an ID gets one, so a retry is recognised"
    assert calls[1]["callStart"].endswith("Z")
    assert receiver.hangups() == [{"callId": "pbx-1", "cause": "normalClearing", "endedAt": "2026-11-29T20:00:00Z"}]
    answers = [r.body for r in receiver.requests if r.path == "/api/calls/answer"]
    assert answers == [{"callId": "pbx-1", "agent": "35", "answeredAt": "2026-11-29T19:59:00Z"}]
    paths = [r.path for r in receiver.requests if r.body.get("callId") == "pbx-1"]
    assert paths == ["/api/calls", "/api/calls/answer", "/api/calls/hangup"], "a call's events go out in order"
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in receiver.requests)


def test_bad_lines_are_skipped_and_logged_without_their_content(tmp_path: Path, receiver: Receiver) -> None:
    settings = api_settings(tmp_path, receiver, sources="stdin")
    connector = Connector(settings, stdin=subprocess.PIPE)
    assert connector.process.stdin is not None
    connector.process.stdin.write(
        b'{"ani": "+15550009999"\n'  # cut short
        b'["+15550008888"]\n'
        b'{"event": "hangup", "ani": "+15550007777"}\n'
        b'{"ani": {"nested": "+15550006666"}}\n'
        b"\xff\xfe garbage\n"
        b'{"ani": "+15551230002"}\n'
    )
    connector.process.stdin.close()
    assert connector.process.wait(20) == 0
    connector.stop()
    assert [c["ani"] for c in receiver.calls()] == ["+15551230002"]
    log = connector.log()
    assert "stdin line 1 is not JSON; skipped" in log
    assert "stdin line 3 skipped: a hangup needs the callId of its call" in log
    for number in ("0009999", "0008888", "0007777", "0006666", "1230002"):
        assert number not in log


def post(url: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_webhook_takes_json_forms_and_plain_addresses(tmp_path: Path, receiver: Receiver) -> None:
    port = free_port()
    settings = api_settings(tmp_path, receiver, sources="webhook")
    settings.write_text(settings.read_text() + f"\n[webhook]\nport = {port}\nsecret = s3cret\n")
    connector = Connector(settings)
    try:
        connector.wait_for_log("webhook listening")
        hook = f"http://127.0.0.1:{port}"
        auth = {"Authorization": "Bearer s3cret"}
        status, answer = post(
            hook + "/call", json.dumps({"ani": "+15551230003", "callId": "w-1"}).encode(), "application/json", auth
        )
        assert (status, answer["callId"]) == (202, "w-1")
        status, _ = post(
            hook + "/call", b"ani=%2B15551230004&callId=w-2&secret=s3cret", "application/x-www-form-urlencoded"
        )
        assert status == 202
        with urllib.request.urlopen(hook + "/call?ani=5551230005&callId=w-3&secret=s3cret", timeout=10) as answer:
            assert answer.status == 202
        status, _ = post(hook + "/answer", b"callId=w-1&agent=34&secret=s3cret", "application/x-www-form-urlencoded")
        assert status == 202
        status, _ = post(hook + "/hangup", b"callId=w-1&cause=busy&secret=s3cret", "application/x-www-form-urlencoded")
        assert status == 202

        assert post(hook + "/call", b'{"ani": "1"}', "application/json")[0] == 401
        assert post(hook + "/call", b'{"ani": "1"}', "application/json", {"Authorization": "Bearer nope"})[0] == 401
        assert post(hook + "/call", b"{not json", "application/json", auth) == (
            400,
            {"error": "the body is neither JSON nor a form"},
        )
        assert post(hook + "/elsewhere", b"{}", "application/json", auth)[0] == 404
        assert post(hook + "/hangup", b"{}", "application/json", auth)[0] == 400

        wait_until(lambda: len(receiver.requests) == 5, what="three calls, an answer and a hang-up posted")
    finally:
        connector.stop()
    calls = sorted(receiver.calls(), key=lambda c: c["callId"])
    assert [c["callId"] for c in calls] == ["w-1", "w-2", "w-3"]
    assert [c["ani"] for c in calls] == ["+15551230003", "+15551230004", "5551230005"]
    assert receiver.hangups()[0]["cause"] == "busy"
    assert [r.body["agent"] for r in receiver.requests if r.path == "/api/calls/answer"] == ["34"]
    assert "secret" not in calls[1]
    assert "1230003" not in connector.log() and "1230005" not in connector.log()
