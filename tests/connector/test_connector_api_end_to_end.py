"""The connector against a real Calldesk's API (`POST /api/calls`, `/api/calls/hangup`): a SIP call
becomes the agent's draft; calls made while Calldesk is down arrive once it is back, each once; a
connector killed while sending loses nothing and makes nothing twice."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.connector import sipp
from tests.connector.harness import Connector, free_port, wait_until, write_settings
from tests.server_process import Server, fetch_rows, manage, scratch_database

pytestmark = pytest.mark.slow

MAKE_TOKEN = (
    "from tests.cast import make_cast; from calldesk.configure.tokens import create_token; "
    "cast = make_cast(); print(create_token(cast.admin, 'connector').raw)"
)


class Calldesk:
    def __init__(self, server: Server, database_url: str, token: str) -> None:
        self.server, self.database_url, self.token = server, database_url, token

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)

    def calls(self, prefix: str) -> list[tuple[str, int]]:
        """(callId, drafts of that call) for the calls whose callId starts with prefix."""
        return [
            (str(external), int(drafts))
            for external, drafts in fetch_rows(
                self.database_url,
                "SELECT c.external_id, (SELECT COUNT(*) FROM reports_callreport r WHERE r.call_id = c.id) "
                f"FROM telephony_call c WHERE c.external_id LIKE '{prefix}%' ORDER BY c.external_id",
            )
        ]


@pytest.fixture(scope="module")
def calldesk() -> Iterator[Calldesk]:
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        token = manage(database_url, "shell", "-c", MAKE_TOKEN).strip().splitlines()[-1]
        server = Server(database_url)
        server.start()
        try:
            yield Calldesk(server, database_url, token)
        finally:
            server.stop()


def settings_for(tmp_path: Path, calldesk: Calldesk, **connector: str) -> Path:
    return write_settings(
        tmp_path,
        {
            "calldesk": {
                "url": calldesk.server.url,
                "report_ver": "9991234",
                "agent": "34",
                "sink": "api",
                "token": calldesk.token,
            },
            "connector": {"retry_max": "0.3", **connector},
            "sip": {"port": str(free_port())},
        },
    )


def test_a_sip_call_becomes_the_agent_s_draft_and_its_cancel_a_hang_up(tmp_path: Path, calldesk: Calldesk) -> None:
    settings = settings_for(tmp_path, calldesk, sources="sip")
    port = settings.read_text().split("port = ")[1].split()[0]
    connector = Connector(settings)
    try:
        connector.wait_for_log("SIP listening")
        call = sipp.invite(
            from_header='"Jane Caller" <sip:+12125550143@pbx.example.org>', headers=("X-Language: 112211",)
        )
        done = sipp.run(tmp_path, sipp.ringing_then_cancelled(call), f"127.0.0.1:{port}")
        assert done.returncode == 0, done.stdout[-2000:]
        connector.wait_for_log("hangup #2 sent: Calldesk answered 200")
    finally:
        connector.stop()
    with calldesk.api() as api:
        (report,) = api.get("/api/reports", params={"phone": "+12125550143", "status": "draft"}).json()["items"]
        assert report["status"] == "draft" and report["reportVer"] == "9991234"
        assert report["agent"]["email"] == "sam@lifeline.example"
        assert report["values"]["incoming_line"] == "Main line"  # dnis 8886201111 from the To header
        state = api.get(f"/api/calls/{report['call']['id']}").json()
        assert state["state"] == "ended" and state["endReason"] == "cancel"
        assert state["callId"].endswith("@127.0.0.1")
    assert "2125550143" not in connector.log()


def feed(connector: Connector, lines: list[dict[str, str]]) -> None:
    assert connector.process.stdin is not None
    connector.process.stdin.write(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    connector.process.stdin.flush()


def test_calls_made_while_calldesk_is_down_reach_it_once_when_it_is_back(tmp_path: Path, calldesk: Calldesk) -> None:
    calls = [{"ani": f"+1212555{n:04d}", "callId": f"down-{n:03d}"} for n in range(20)]
    calldesk.server.stop()
    try:
        connector = Connector(settings_for(tmp_path, calldesk, sources="stdin"), stdin=subprocess.PIPE)
        feed(connector, [*calls, {"event": "hangup", "callId": "down-003", "cause": "busy"}])
        connector.wait_for_log("hangup #21 queued")
        connector.wait_for_log("waits: Calldesk cannot be reached")
        time.sleep(1)
    finally:
        calldesk.server.start()
    try:
        wait_until(lambda: "hangup #21 sent" in connector.log(), timeout=60, what="the queue to empty")
    finally:
        connector.stop()
    assert calldesk.calls("down-") == [(call["callId"], 1) for call in calls]
    with calldesk.api() as api:
        (report,) = api.get("/api/reports", params={"phone": "+12125550003", "status": "draft"}).json()["items"]
        assert api.get(f"/api/calls/{report['call']['id']}").json()["endReason"] == "busy"


def test_a_connector_killed_while_sending_loses_no_call_and_makes_none_twice(
    tmp_path: Path, calldesk: Calldesk
) -> None:
    calls = [{"ani": f"+1212556{n:04d}", "callId": f"kill-{n:03d}"} for n in range(150)]
    settings = settings_for(tmp_path, calldesk, sources="stdin")
    connector = Connector(settings, stdin=subprocess.PIPE)
    feed(connector, calls)
    # Once a call is on disk it is the connector's to deliver; lines still in the pipe are not.
    connector.wait_for_log(f"call #{len(calls)} queued")
    log = connector.log_path  # every run of the connector appends to the same log
    for _ in range(4):
        wait_until(lambda: "sent: Calldesk answered" in log.read_text(), what="sending to start")
        time.sleep(0.2)
        connector.kill()
        connector = Connector(settings, stdin=subprocess.PIPE)
    try:
        wait_until(lambda: len(calldesk.calls("kill-")) == len(calls), timeout=60, what="every call")
        time.sleep(1)
    finally:
        connector.stop()
    assert calldesk.calls("kill-") == [(call["callId"], 1) for call in calls]
