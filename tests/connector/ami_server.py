"""Replays a recorded AMI session over TCP, as Asterisk's manager would send it (Asterisk is not
packaged in Debian): the banner, the Login response, then the transcript's events. A `--- drop ---`
line closes the connection there; the next connection (after a new Login) goes on from that point."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.connector.harness import free_port


def load_transcript(path: Path) -> list[list[str]]:
    """Parts between drops, each a list of event blocks (CRLF-terminated, as on the wire)."""
    parts: list[list[str]] = [[]]
    block: list[str] = []
    for line in [*path.read_text().splitlines(), ""]:
        if line.startswith("#"):
            continue
        if line == "--- drop ---":
            parts.append([])
            continue
        if line.strip():
            block.append(line)
        elif block:
            parts[-1].append("\r\n".join(block) + "\r\n\r\n")
            block = []
    return parts


@dataclass
class AmiReplay:
    transcript: Path
    username: str = "calldesk"
    secret: str = "s3cret"
    port: int = field(default_factory=free_port)
    logins: list[tuple[str, str]] = field(default_factory=list)
    connections: int = 0

    def start(self) -> AmiReplay:
        self.parts = load_transcript(self.transcript)
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        conn.sendall(b"Asterisk Call Manager/7.0.3\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        fields = dict(line.split(": ", 1) for line in data.decode().split("\r\n") if ": " in line)
        self.logins.append((fields.get("Username", ""), fields.get("Secret", "")))
        action_id = fields.get("ActionID", "")
        if (fields.get("Username"), fields.get("Secret")) != (self.username, self.secret):
            conn.sendall(f"Response: Error\r\nActionID: {action_id}\r\nMessage: Authentication failed\r\n\r\n".encode())
            return
        conn.sendall(
            f"Response: Success\r\nActionID: {action_id}\r\nMessage: Authentication accepted\r\n\r\n"
            "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 3600\r\nLastReload: 3600\r\n"
            "Status: Fully Booted\r\n\r\n".encode()
        )
        if not self.parts:
            self._stop.wait(60)
            return
        part = self.parts.pop(0)
        for block in part:
            conn.sendall(block.encode())
        if self.parts:
            # Drop the connection in the middle of the next event, as a network failure would.
            conn.sendall(self.parts[0][0][:40].encode())
            return
        self._stop.wait(60)
