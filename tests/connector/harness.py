"""Real processes for the connector's tests: the connector itself (as a user starts it), a small
recording HTTP server standing in for Calldesk's API where the real one is not needed, and sipp."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_DIR = ROOT / "connector"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free for both UDP and TCP (SIP listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
            with socket.socket(socket.AF_INET, other) as second:
                try:
                    second.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


def wait_until(check: Callable[[], object], timeout: float = 15.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def write_settings(directory: Path, sections: dict[str, dict[str, str]]) -> Path:
    lines: list[str] = []
    # Each test's queue in its own directory, never the user's.
    sections = {**sections, "connector": {"queue_file": "queue.sqlite3", **sections.get("connector", {})}}
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in values.items()]
        lines.append("")
    path = directory / "settings.ini"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, str]


@dataclass
class Receiver:
    """Records every request; answers like Calldesk's `/api/calls`: 201 the first time a callId
    is seen, 200 after. `stop()` then `start()` on the same port is Calldesk going down and back."""

    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.record({})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get_content_type() == "application/json":
                    body = json.loads(raw)
                else:
                    body = dict(parse_qsl(raw.decode()))
                self.record(body)

            def record(self, body: dict[str, str]) -> None:
                time.sleep(receiver.delay)
                seen = any(
                    r.body.get("callId") == body.get("callId") and r.path == self.path for r in receiver.requests
                )
                receiver.requests.append(Received(self.command, self.path, dict(self.headers), body))
                status = 200 if seen or self.command == "GET" else 201
                payload = json.dumps({"callId": body.get("callId", "")}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def calls(self) -> list[dict[str, str]]:
        return [r.body for r in self.requests if r.path == "/api/calls"]

    def hangups(self) -> list[dict[str, str]]:
        return [r.body for r in self.requests if r.path == "/api/calls/hangup"]


class Connector:
    """`python -m calldesk_connector --settings FILE run`, as a user (or a service manager) starts it."""

    def __init__(self, settings: Path, stdin: int | None = subprocess.DEVNULL) -> None:
        self.settings = settings
        self.log_path = settings.parent / "connector.log"
        env = {**os.environ, "PYTHONPATH": str(CONNECTOR_DIR), "PYTHONUNBUFFERED": "1"}
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "calldesk_connector", "--settings", str(settings), "run"],
            stdin=stdin,
            stdout=self.log_file,
            stderr=self.log_file,
            env=env,
            cwd=settings.parent,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout: float = 15.0) -> None:
        wait_until(lambda: text in self.log() or self.process.poll() is not None, timeout, f"{text!r} in the log")
        assert text in self.log(), self.log()[-3000:]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.log_file.close()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log_file.close()
        return int(self.process.returncode)


def run_cli(settings: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(CONNECTOR_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "calldesk_connector", "--settings", str(settings), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
