"""Real `calldesk serve` processes on one database, and pushes made by a separate process, for
the tests of the live console across processes (tests/test_push_stream.py, tests/browser/)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.private_servers import PrivateRedis
from tests.server_process import ROOT, free_port, scratch_database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# The cast, in an organization that lets supervisors sign in with a password alone (two-factor
# sign-in has its own tests; these log in through the real login form), and the API token an
# admin made for the phone system (printed).
CAST_SCRIPT = (
    "from tests.cast import make_cast; from calldesk.accounts.models import Organization; "
    "from calldesk.configure.tokens import create_token; "
    "cast = make_cast(); Organization.objects.update(two_factor_roles=''); "
    "print(create_token(cast.admin, 'PBX').raw)"
)


# `calldesk serve` refuses the public default key; every process of one test shares this one.
SECRET_KEY = "test-push-" + secrets.token_urlsafe(40)


def environment(database_url: str, redis_channel: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "SECRET_KEY": SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "calldesk.settings",  # as in production, not the test settings
        "DATABASE_URL": database_url,
        "CALLDESK_PLAIN_STATIC": "1",
        "AXES_ENABLED": "false",
        "REDIS_URL": "",
    }
    if redis_channel is not None:
        env["REDIS_URL"] = REDIS_URL
        env["PUSH_REDIS_CHANNEL"] = redis_channel
    return env


def unique_channel(url: str = REDIS_URL) -> str:
    """A Redis channel of this test's own; fails clearly when Redis is not running (CI runs it)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        raise AssertionError(f"Redis is not reachable at {url} ({error}): start redis-server") from error
    return f"calldesk-test:push:{uuid.uuid4().hex[:12]}"


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "calldesk.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def make_cast(env: dict[str, str]) -> str:
    """Creates the cast in the servers' database; answers organization A's API token."""
    return run_cli(env, "shell", "-c", CAST_SCRIPT).strip().splitlines()[-1]


class PhoneSystem:
    """A phone system posting to one server's API, as SPEC §6 describes (JSON, Bearer token)."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        self.token = token

    def post_call(self, ani: str, agent: str, form: str = "9991234", dnis: str = "8886201111") -> dict[str, str]:
        """POST /api/calls; answers {"call", "report", "callId"} (report: the draft's id, or "")."""
        call_id = uuid.uuid4().hex
        body = {"reportVer": form, "ani": ani, "dnis": dnis, "agent": agent, "callId": call_id}
        answer = self.client.post("/api/calls", json=body)
        assert answer.status_code == 201, answer.text
        found = answer.json()
        return {"call": found["id"], "report": (found["draft"] or {}).get("id", ""), "callId": call_id}

    def answer(self, call_id: str, user: str) -> None:
        """Zammad's CTI `answer`: `user` picked up (form-encoded, the token in the path)."""
        data = {"event": "answer", "callId": call_id, "user": user, "direction": "in"}
        answer = self.client.post(f"/api/v1/cti/{self.token}", data=data)
        assert answer.status_code == 200, answer.text

    def hang_up(self, call: str, cause: str = "normalClearing") -> None:
        answer = self.client.post(f"/api/calls/{call}/hangup", json={"cause": cause})
        assert answer.status_code == 200, answer.text

    def close(self) -> None:
        self.client.close()


class Serve:
    """`calldesk serve` in a child process, as an operator starts it."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.env = env
        self.log = log
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "calldesk.cli", "serve", "--port", str(self.port)]
        argv += ["--workers", str(self.workers), "--access-log", "--skip-collectstatic"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(5)


class EventReader:
    """A console's stream read by a plain HTTP client in a thread: the events it received."""

    def __init__(self, client: httpx.Client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}
        self.events: list[dict[str, Any]] = []
        self.status: int | None = None
        self.opened = threading.Event()
        self.stopped = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(20), "the stream did not answer"

    def _read(self) -> None:
        try:
            with self.client.stream("GET", "/console/events", headers=self.headers, timeout=None) as answer:
                self.status = answer.status_code
                self.opened.set()
                event: dict[str, Any] = {}
                for line in answer.iter_lines():
                    if self.stopped:
                        return
                    if line.startswith("id: "):
                        event["id"] = int(line[4:])
                    elif line.startswith("data: "):
                        event.update(json.loads(line[6:]))
                    elif line == "" and event:
                        self.events.append(event)
                        event = {}
        except httpx.HTTPError:
            self.opened.set()

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not predicate(self.events):
            assert time.monotonic() < deadline, f"not received within {timeout} s; got {self.events}"
            time.sleep(0.05)
        return self.events

    def close(self) -> None:
        self.stopped = True
        self.client.close()


@dataclass
class RedisSite:
    redis: PrivateRedis
    server: Serve
    phone: PhoneSystem


@contextmanager
def redis_site(folder: Path, channel: str) -> Iterator[RedisSite]:
    """A server (one worker) on a Redis of its own, which a test may stop, freeze or restart, with
    a scratch database migrated and the cast made; the phone system holds the cast's API token."""
    redis = PrivateRedis()
    redis.start()
    try:
        with scratch_database() as database_url:
            env = {**environment(database_url, channel), "REDIS_URL": redis.url}
            run_cli(env, "migrate", "-v0")
            token = make_cast(env)
            server = Serve(env, folder / "server.log", workers=1)
            server.start()
            phone = PhoneSystem(server.url, token)
            try:
                yield RedisSite(redis, server, phone)
            finally:
                phone.close()
                server.stop()
    finally:
        redis.destroy()
