"""SIGKILL the real server under a stream of autosaves and submits: every save it answered
2xx is in the database after the restart, complete; nothing is half-written."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from calldesk.lib.sealed import open_values
from tests.cast import PASSWORD
from tests.server_process import Server, csrf_header, fetch_rows, login, manage, scratch_database

pytestmark = pytest.mark.slow
WRITERS = ["sam@lifeline.example", "kim@lifeline.example", "sue@lifeline.example", "ada@lifeline.example"]


@dataclass
class Acked:
    """What the server confirmed: report → (version, summary), and the reports it said were submitted."""

    saves: dict[str, tuple[int, str]] = field(default_factory=dict)
    answered: int = 0  # how many saves and submits were answered 2xx
    sent: dict[str, list[str]] = field(default_factory=dict)  # every summary sent, answered or not
    submitted: set[str] = field(default_factory=set)


def write_until_killed(server: Server, email: str, number: int, acked: Acked, lock: threading.Lock) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        n = 0
        try:
            login(client, email, PASSWORD)
            while True:
                pop = client.get(f"/Telephony/GetCallReport?reportVer=9991234&ani=21255501{number}{n % 10}&x={n}")
                report = pop.headers["location"].strip("/").split("/")[-1]
                version = 1
                for step in range(8):
                    summary = f"{email} call {n} text {step}"
                    data = {
                        "version": version,
                        "call_start": "2026-01-01T10:00:00",
                        "call_type": "call",
                        "phone": "",
                        "agent": "",
                        "f_summary": summary,
                    }
                    with lock:
                        acked.sent.setdefault(report, []).append(summary)
                    answer = client.post(f"/reports/{report}/save", data=data, headers=csrf_header(client))
                    assert answer.status_code == 200, answer.text[:300]
                    version = answer.json()["version"]
                    with lock:
                        acked.saves[report] = (version, summary)
                        acked.answered += 1
                data["version"] = version
                data["submit_key"] = uuid.uuid4().hex
                answer = client.post(f"/reports/{report}/submit", data=data, headers=csrf_header(client))
                assert answer.status_code == 200, answer.text[:300]
                with lock:
                    acked.saves[report] = (answer.json()["version"], summary)
                    acked.submitted.add(report)
                n += 1
        except httpx.TransportError:
            return  # the server is gone: what it answered before is what counts


def test_every_answered_save_survives_a_sigkill() -> None:
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        manage(database_url, "shell", "-c", "from tests.cast import make_cast; make_cast()")
        server = Server(database_url)
        server.start()
        acked = Acked()
        lock = threading.Lock()
        writers = [
            threading.Thread(target=write_until_killed, args=(server, email, i, acked, lock))
            for i, email in enumerate(WRITERS)
        ]
        try:
            for writer in writers:
                writer.start()
            # Kill mid-stream: once plenty of saves were answered (a fixed sleep would depend on
            # how fast this machine logs people in).
            deadline = time.monotonic() + 60
            while acked.answered < 120 and time.monotonic() < deadline:
                time.sleep(0.05)
            server.kill()
            for writer in writers:
                writer.join(30)
            assert acked.answered >= 120, "the stream of saves never got going"

            server.start()  # it comes back on the same database
            assert httpx.get(server.url + "/healthz").status_code == 200
        finally:
            server.stop()

        rows = fetch_rows(
            database_url, 'SELECT public_id, version, "values", status, submitted_at FROM reports_callreport'
        )
        changes = fetch_rows(
            database_url,
            "SELECT r.public_id FROM reports_reportchange c JOIN reports_callreport r"
            " ON r.id = c.report_id WHERE c.action = 'submitted'",
        )
    db = {uuid.UUID(str(r[0])).hex: r for r in rows}
    submitted_changes = [uuid.UUID(str(c[0])).hex for c in changes]
    for report, (version, summary) in acked.saves.items():
        _, db_version, values, status, submitted_at = db[uuid.UUID(report).hex]
        values = open_values(json.loads(values) if isinstance(values, str) else values)  # summary is personal
        assert db_version >= version, f"an answered save of {report} is missing"
        if db_version == version:
            assert values["summary"] == summary
        else:  # a later save was written but its answer lost in the crash: it must be one we sent
            assert values["summary"] in acked.sent[report]
        if report in acked.submitted:
            assert status == "submitted"
    for public_id, _, _values, status, submitted_at in rows:
        # Nothing half-written: a submitted report has its time and exactly one submit in its history.
        key = uuid.UUID(str(public_id)).hex
        if status == "submitted":
            assert submitted_at is not None
            assert submitted_changes.count(key) == 1
        else:
            assert key not in submitted_changes
