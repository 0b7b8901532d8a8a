"""What the benchmarks share: the demo's pop URL, the floor's, the editor's form as a browser
posts it, and a fresh benchmark database."""

from __future__ import annotations

import asyncio
import io
import os
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import uuid4

PASSWORD = "bench-specialist-password"
FORM = "1234567"  # the demo's form with mappings (language, dnis -> incoming line)
LANGUAGES = ["112211", "112212", "999999"]  # two mapped codes and one unknown (a notice)
LINES = ["8886201111", "8886202222", "5550000000"]
TIMEOUT = 30.0  # seconds a request may take before it counts as an error

# --- the reports API walked by cursor (in a process where Django is set up) --------------------


def admin_token(organization: Any, name: str) -> str:
    """A new API token of the organization, made by its first admin: the raw text to send."""
    from calldesk.accounts.models import Role, User
    from calldesk.configure.tokens import create_token

    admin = User.objects.filter(organization=organization, role=Role.ADMIN).order_by("pk").first()
    assert admin is not None, "an admin makes the token"
    return create_token(admin, name).raw


def walk_reports_api(
    organization: Any, pages: int, limit: int, period: dict[str, str] | None = None
) -> tuple[int, float, float, float]:
    """`/api/reports` walked by cursor as a phone system's export job does, with an admin's
    token, over every report or over `period` ({"from": …, "to": …}): (rows read, seconds, CPU
    seconds of this process, the part of them spent parsing the answers, which is the client's
    work, not the server's). The first, one-row page is not timed."""
    import time

    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {admin_token(organization, 'bench')}")
    api.get("/api/reports", {**(period or {}), "limit": 1})  # warm
    cursor, rows, parsing = "", 0, 0.0
    cpu, started = time.process_time(), time.perf_counter()
    for _ in range(pages):
        answer = api.get("/api/reports", {**(period or {}), "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.content[:300]
        parse_started = time.process_time()
        body = answer.json()
        parsing += time.process_time() - parse_started
        rows += len(body["items"])
        cursor = body["next"]
        if not cursor:
            break
    return rows, time.perf_counter() - started, time.process_time() - cpu, parsing


def export_reports_api(
    organization: Any, period: dict[str, str], watch: Callable[[], object] = lambda: None
) -> tuple[int, float, float, float]:
    """`GET /api/reports/export` of `period`, in process, with an admin's token, each line
    parsed as a client would: (rows, seconds, CPU seconds of this process, the part of them
    spent parsing). `watch` is called after each piece (e.g. to note the memory)."""
    import json
    import time

    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {admin_token(organization, 'bench, export')}")
    rows, parsing = 0, 0.0
    cpu, started = time.process_time(), time.perf_counter()
    response = api.get("/api/reports/export", period)
    assert response.status_code == 200, response.content[:300]
    for piece in response.streaming_content:  # type: ignore[attr-defined]
        parse_started = time.process_time()
        rows += len([json.loads(line) for line in piece.splitlines()])
        parsing += time.process_time() - parse_started
        watch()
    return rows, time.perf_counter() - started, time.process_time() - cpu, parsing


# --- database set-up (runs in a child process with DATABASE_URL set) --------------------------


def setup_database(specialists: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from calldesk.accounts.models import Role, User

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=io.StringIO())
    organization = User.objects.get(email="maria@acme.com").organization
    hashed = make_password(PASSWORD)
    User.objects.bulk_create(
        User(
            email=f"specialist{i}@bench.example",
            name=f"Bench Specialist {i}",
            agent_id=f"b{i}",
            organization=organization,
            role=Role.SPECIALIST,
            password=hashed,
        )
        for i in range(specialists)
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # autovacuum is off on the benchmark machine's server


def fresh_database(kind: str, pg_url: str, workdir: Path) -> str:
    if kind == "sqlite":
        path = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base, name = pg_url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url


def pop_target(rng: random.Random) -> str:
    # A new caller and call time every time, so the 15-minute reopen never turns pops into lookups.
    ani = f"{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    start = datetime.now(UTC) - timedelta(seconds=rng.randint(0, 86_400), microseconds=rng.randint(0, 999_999))
    return (
        f"/Telephony/GetCallReport?reportVer={FORM}&ani={ani}&callStart={quote(start.isoformat())}"
        f"&language={rng.choice(LANGUAGES)}&dnis={rng.choice(LINES)}"
    )


def floor_target(target: str) -> str:
    """The same pop, sent to the floor's view (bench/floor.py)."""
    return target.replace("/Telephony/GetCallReport", "/bench/floor/pop", 1)


# --- the editor's form, serialised as the browser's FormData would -----------------------------


class EditorForm(HTMLParser):
    """The name/value pairs of <form id="report-form">: inputs, checked boxes, selected options,
    textareas. Enough HTML for Calldesk's own editor, not a general form parser."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = a.get("id") == "report-form"
        if not self._inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def editor_fields(html: str) -> list[tuple[str, str]]:
    parser = EditorForm()
    parser.feed(html)
    # The page's token goes stale; the script sends the cookie's token in X-CSRFToken instead.
    return [(k, v) for k, v in parser.fields if k != "csrfmiddlewaretoken"]


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    boundary = uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in fields
    ]
    return (("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}")


def with_values(fields: list[tuple[str, str]], **values: str | list[str]) -> list[tuple[str, str]]:
    """`fields` with each named field replaced (a list gives a multi-choice several values)."""
    kept = [(k, v) for k, v in fields if k not in values]
    for name, value in values.items():
        kept += [(name, item) for item in (value if isinstance(value, list) else [value])]
    return kept


# --- a keep-alive client that also posts and reads the answer --------------------------------


class Client:
    """Like screenpop.Connection (raw HTTP/1.1 keep-alive, cheaper than httpx), plus POST and the body."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie = cookie
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.csrf = next(p.split("=", 1)[1] for p in cookie.split("; ") if p.startswith("csrftoken="))

    async def request(
        self, method: str, target: str, body: bytes = b"", content_type: str = "", extra: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        """One request and its answer; a stalled server raises TimeoutError (an OSError) after
        TIMEOUT seconds instead of hanging the run."""
        try:
            return await asyncio.wait_for(self._exchange(method, target, body, content_type, extra), TIMEOUT)
        except TimeoutError:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def _exchange(
        self, method: str, target: str, body: bytes, content_type: str, extra: str
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nCookie: {self.cookie}\r\n"
        if method == "POST":
            head += (
                f"Accept: application/json\r\nX-CSRFToken: {self.csrf}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}"
            )
        else:
            head += "Accept: text/html\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        answer = b""
        if "content-length" in headers:
            answer = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                answer += (await self.reader.readexactly(size + 2))[:-2]
                if size == 0:
                    break
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, headers, answer

    async def open_draft(self, rng: random.Random) -> tuple[str, str]:
        """A screen pop: the draft's path (/reports/<uuid>/) and the target it was opened with."""
        target = pop_target(rng)
        status, headers, _ = await self.request("GET", target)
        if status != 303:
            raise RuntimeError(f"screen pop answered HTTP {status}")
        return headers["location"], target
