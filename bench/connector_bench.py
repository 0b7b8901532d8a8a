"""calldesk-connector benchmark: a SIP INVITE in, the draft visible through Calldesk's API.

It starts a real Calldesk (`calldesk serve`'s granian, SQLite, the test cast, an API token) and the
connector (SIP source, API sink) as a user runs it, then from this process, acting as the phone
system over UDP on 127.0.0.1:

1. latency: 200 calls one after another; for each, the time from sending the INVITE until
   the specialist's console stream (`/console/events`, read as a logged-in specialist) carries the
   call, and until `GET /api/reports?phone=...` lists the draft (polled every 5 ms); p50 / p95 /
   max. The floor, in the same run: the same waits for 200 calls posted straight to
   `POST /api/calls` by this process.
2. throughput: 1,000 INVITEs sent as fast as the connector answers them with 180 Ringing: the
   rate it takes calls in (and queues them on disk), and the rate they reach Calldesk.
3. memory: the connector's resident memory at rest, and its peak (VmHWM) after the load.

Usage: .venv/bin/python bench/connector_bench.py [--calls 200] [--burst 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "correct-horse-battery"  # tests/cast.py's (importing it needs Django set up)
from tests.push_servers import EventReader  # noqa: E402
from tests.server_process import Server, free_port, login, manage  # noqa: E402

MAKE_TOKEN = (
    "from tests.cast import make_cast; from calldesk.configure.tokens import create_token; "
    "cast = make_cast(); print(create_token(cast.admin, 'bench').raw)"
)


def invite(port: int, local: int, call_id: str, ani: str) -> bytes:
    return (
        f"INVITE sip:agent34@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-{call_id};rport\r\n"
        f'From: "Caller" <sip:{ani}@pbx.example.org>;tag={call_id[:8]}\r\n'
        "To: <sip:8886201111@pbx.example.org>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def wait_shown(api: httpx.Client, console: EventReader, phone: str, deadline: float = 30.0) -> tuple[float, float]:
    """(when the console's stream carried the call, when the API listed its draft)."""
    start = time.perf_counter()
    digits = phone.lstrip("+")[1:]
    in_console = listed = 0.0
    while time.perf_counter() - start < deadline:
        if not in_console and any(digits in json.dumps(event) for event in console.events):
            in_console = time.perf_counter()
        if not listed and api.get("/api/reports", params={"phone": phone, "status": "draft"}).json().get("items"):
            listed = time.perf_counter()
        if in_console and listed:
            return in_console, listed
        time.sleep(0.005)
    raise SystemExit(f"a call never showed within {deadline} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{tmp}/calldesk.sqlite3"
        manage(database, "migrate", "-v0")
        token = manage(database, "shell", "-c", MAKE_TOKEN).strip().splitlines()[-1]
        server = Server(database)
        server.start()
        sip_port = free_port()
        settings = Path(tmp) / "settings.ini"
        settings.write_text(
            f"[calldesk]\nurl = {server.url}\nreport_ver = 9991234\nagent = 34\nsink = api\ntoken = {token}\n"
            f"[connector]\nsources = sip\nretry_max = 0.5\nqueue_file = {tmp}/queue.sqlite3\n"
            f"[sip]\nport = {sip_port}\ntransports = udp\n"
        )
        log = open(Path(tmp) / "connector.log", "wb")
        connector = subprocess.Popen(
            [sys.executable, "-m", "calldesk_connector", "--settings", str(settings), "run"],
            env={**os.environ, "PYTHONPATH": str(ROOT / "connector")},
            stdout=log,
            stderr=log,
        )
        headers = {"Authorization": f"Bearer {token}"}
        try:
            time.sleep(1.5)
            rest = rss_kb(connector.pid, "VmRSS")
            with (
                httpx.Client(base_url=server.url, headers=headers, timeout=10) as api,
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as pbx,
            ):
                pbx.bind(("127.0.0.1", 0))
                pbx.settimeout(5)
                local = pbx.getsockname()[1]
                session = httpx.Client(base_url=server.url, timeout=10)
                login(session, "sam@lifeline.example", PASSWORD)
                console = EventReader(session)
                # Floor: the same calls posted straight to the API by this process.
                floor, floor_console = [], []
                for n in range(args.calls):
                    phone = f"+1212555{n:04d}"
                    start = time.perf_counter()
                    answer = api.post(
                        "/api/calls", json={"reportVer": "9991234", "agent": "34", "ani": phone, "callId": f"floor-{n}"}
                    )
                    assert answer.status_code == 201, answer.text[:300]
                    shown, listed = wait_shown(api, console, phone)
                    floor.append(listed - start)
                    floor_console.append(shown - start)
                via, via_console = [], []
                for n in range(args.calls):
                    phone = f"+1213555{n:04d}"
                    start = time.perf_counter()
                    pbx.sendto(
                        invite(sip_port, local, f"lat-{n}-{uuid.uuid4().hex[:6]}", phone), ("127.0.0.1", sip_port)
                    )
                    shown, listed = wait_shown(api, console, phone)
                    via.append(listed - start)
                    via_console.append(shown - start)
                    pbx.recv(4096), pbx.recv(4096)  # 100 Trying, 180 Ringing
                # Throughput: INVITEs as fast as the connector rings back.
                start = time.perf_counter()
                for n in range(args.burst):
                    pbx.sendto(
                        invite(sip_port, local, f"burst-{n}-{uuid.uuid4().hex[:6]}", f"+1214555{n:04d}"),
                        ("127.0.0.1", sip_port),
                    )
                    while True:
                        if pbx.recv(4096).startswith(b"SIP/2.0 180"):
                            break
                intake = args.burst / (time.perf_counter() - start)
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    sent = Path(tmp, "connector.log").read_text().count(" sent: Calldesk answered 201")
                    if sent >= args.calls + args.burst:
                        break
                    time.sleep(0.05)
                delivered = args.burst / (time.perf_counter() - start)
                peak = rss_kb(connector.pid, "VmHWM")
                console.close()
        finally:
            connector.terminate()
            connector.wait(10)
            server.stop()
        numbers = ("1212555", "1213555", "1214555")  # every caller number sent (item ids like #1555 are not)
        leaked = [
            line for line in Path(tmp, "connector.log").read_text().splitlines() if any(n in line for n in numbers)
        ]

    def figures(values: list[float]) -> dict[str, float]:
        ms = [1000 * v for v in values]
        return {"p50": round(statistics.median(ms), 1), "p95": round(percentile(ms, 0.95), 1), "max": round(max(ms), 1)}

    print(
        json.dumps(
            {
                "calls": args.calls,
                "invite_to_console_event_ms": figures(via_console),
                "invite_to_draft_listed_by_api_ms": figures(via),
                "floor_direct_post_to_console_event_ms": figures(floor_console),
                "floor_direct_post_to_listed_ms": figures(floor),
                "ratio_to_floor_console_p50": round(
                    statistics.median(via_console) / statistics.median(floor_console), 2
                ),
                "burst": args.burst,
                "invites_rung_per_s": round(intake, 1),
                "calls_delivered_to_calldesk_per_s": round(delivered, 1),
                "connector_rss_at_rest_mb": round(rest / 1024, 1),
                "connector_peak_rss_after_load_mb": round(peak / 1024, 1),
                "caller_numbers_in_connector_log": len(leaked),
            },
            indent=2,
        )
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
