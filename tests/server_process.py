"""A real Calldesk server in a child process, on its own database, for tests that must
cross a process boundary (crash recovery). Started with the production command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from django.conf import settings

from calldesk.lib import totp
from calldesk.ops.management.commands.serve import granian_argv

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def scratch_database() -> Iterator[str]:
    """A DATABASE_URL of a new, empty database of the kind the suite runs on; dropped after."""
    db = settings.DATABASES["default"]
    if "postgresql" in db["ENGINE"]:
        name = f"calldesk_proc_{uuid.uuid4().hex[:10]}"
        admin = f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.rsplit("/", 1)[0] + "/" + name
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/calldesk.sqlite3"


def manage(database_url: str, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CALLDESK_PLAIN_STATIC": "1",
        "DJANGO_SETTINGS_MODULE": "calldesk.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "calldesk.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Server:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CALLDESK_PLAIN_STATIC": "1",
            "DJANGO_SETTINGS_MODULE": "calldesk.settings",
            "AXES_ENABLED": "false",
        }
        argv = granian_argv(host="127.0.0.1", port=self.port, workers=2, threads=4, access_log=False)
        # A session of its own, so SIGKILL reaches granian's workers too, as a real crash would.
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the server did not start within 30 s")

    def kill(self) -> None:
        """SIGKILL the whole server: no shutdown code runs, as in a power cut."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _csrf_token(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def login(client: httpx.Client, email: str, password: str) -> None:
    """Logs in through the real pages; where the organization asks for a second factor (by
    default supervisors and admins), sets up an authenticator as the user would, from the key shown."""
    page = client.get("/accounts/login/")
    data = {"username": email, "password": password, "csrfmiddlewaretoken": _csrf_token(page.text)}
    done = client.post("/accounts/login/", data=data)
    assert done.status_code == 302, done.text[:300]
    if done.headers["location"] != "/accounts/two-factor/":
        return
    setup = client.get("/accounts/two-factor/setup/")
    assert setup.status_code == 200, setup.text[:300]
    secret = setup.text.split('<code class="secret">', 1)[1].split("</code>", 1)[0].replace(" ", "")
    code = totp.code_at_step(secret, totp.step_at(time.time()))
    confirmed = client.post(
        "/accounts/two-factor/setup/", data={"code": code, "csrfmiddlewaretoken": _csrf_token(setup.text)}
    )
    assert confirmed.status_code == 200 and "Two-factor sign-in is on" in confirmed.text, confirmed.text[:300]


def csrf_header(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies.get("csrftoken") or "", "Accept": "application/json"}


def fetch_rows(database_url: str, sql: str) -> list[tuple[object, ...]]:
    """Read the server's database directly, as an auditor would after a crash."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            return list(conn.execute(sql).fetchall())
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        return list(conn.execute(sql).fetchall())  # type: ignore[arg-type]
