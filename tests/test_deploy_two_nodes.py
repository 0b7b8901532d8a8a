"""The two-machine set-up as deploy/twonodes.py brings it up (docs/deploy.md): nginx in front of
two `calldesk serve` nodes sharing the database and Redis. A pop through nginx, a console on one
node receiving a call posted to the other and through nginx, one node killed and the other serving."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cast import PASSWORD
from tests.push_servers import EventReader, PhoneSystem, environment, make_cast, unique_channel
from tests.server_process import ROOT, login, scratch_database

pytestmark = pytest.mark.slow

SPECIALIST = "sam@lifeline.example"
SCRIPT = ROOT / "deploy" / "twonodes.py"


@dataclass
class TwoNodes:
    state: dict[str, Any]
    token: str
    folder: Path

    @property
    def nginx(self) -> str:
        return str(self.state["nginx"]["url"])

    def node(self, name: str) -> str:
        return str(self.state["nodes"][name]["url"])

    def console(self, base_url: str) -> EventReader:
        client = httpx.Client(base_url=base_url, timeout=10)
        login(client, SPECIALIST, PASSWORD)
        reader = EventReader(client)
        assert reader.status == 200
        return reader

    def upstreams(self) -> set[str]:
        """The nodes nginx has sent requests to (its access log's last field)."""
        lines = (self.folder / "logs" / "access.log").read_text().splitlines()
        return {line.rsplit(" ", 1)[-1] for line in lines}


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoNodes]:
    folder = tmp_path_factory.mktemp("two-nodes")
    with scratch_database() as database_url:
        env = {**environment(database_url, unique_channel()), "CALLDESK_VAR_DIR": str(folder / "var")}
        try:
            done = subprocess.run(
                [sys.executable, str(SCRIPT), "up", "--dir", str(folder)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr[-3000:]
            state = json.loads(done.stdout.strip().splitlines()[-1])
            yield TwoNodes(state, make_cast(env), folder)
        finally:
            subprocess.run([sys.executable, str(SCRIPT), "down", "--dir", str(folder)], env=env, timeout=120)


def test_nginx_listens_on_loopback_only_and_keeps_numbers_out_of_its_log(two: TwoNodes) -> None:
    config = (two.folder / "nginx.conf").read_text()
    assert f"listen 127.0.0.1:{two.state['nginx']['port']};" in config
    client = httpx.Client(base_url=two.nginx, timeout=10)
    login(client, SPECIALIST, PASSWORD)
    popped = client.get("/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-555-0177")
    assert popped.status_code == 303
    editor = client.get(popped.headers["location"])
    assert editor.status_code == 200 and "999" in editor.text
    assert "555-0177" not in (two.folder / "logs" / "access.log").read_text()
    # Requests go to both nodes, and the session made on one is good on the other.
    for _ in range(6):
        assert client.get(popped.headers["location"]).status_code == 200
    assert two.upstreams() >= {f"127.0.0.1:{node['port']}" for node in two.state["nodes"].values()}
    client.close()


def test_a_console_on_one_node_receives_a_call_posted_to_the_other_and_through_nginx(two: TwoNodes) -> None:
    on_b = two.console(two.node("b"))
    through_nginx = two.console(two.nginx)
    to_a = PhoneSystem(two.node("a"), two.token)
    to_nginx = PhoneSystem(two.nginx, two.token)
    try:
        first = to_a.post_call("9995550101", SPECIALIST)
        second = to_nginx.post_call("9995550102", SPECIALIST)
        for reader in (on_b, through_nginx):
            # Server-sent events pass nginx unbuffered: each call arrives as it is pushed.
            reader.wait_for(lambda events: {e["call"] for e in events} >= {first["call"], second["call"]})
    finally:
        for one in (on_b, through_nginx):
            one.close()
        to_a.close()
        to_nginx.close()


def test_with_one_node_killed_the_other_serves_everything(two: TwoNodes) -> None:
    os.killpg(two.state["nodes"]["a"]["pid"], signal.SIGKILL)  # the machine goes down
    client = httpx.Client(base_url=two.nginx, timeout=10)
    login(client, SPECIALIST, PASSWORD)
    phone_system = PhoneSystem(two.nginx, two.token)
    console = two.console(two.nginx)
    try:
        for i in range(6):
            assert client.get("/healthz").status_code == 200
            popped = client.get(f"/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=99955502{i:02d}")
            assert popped.status_code == 303
            assert client.get(popped.headers["location"]).status_code == 200
        pushed = phone_system.post_call("9995550199", SPECIALIST)  # a POST: answered once, by b
        console.wait_for(lambda events: any(e["call"] == pushed["call"] for e in events))
        started = time.monotonic()
        assert client.get("/readyz").status_code == 200
        assert time.monotonic() - started < 5
    finally:
        console.close()
        phone_system.close()
        client.close()
