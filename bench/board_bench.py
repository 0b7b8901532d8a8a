"""Supervisors' board benchmark: with 200 live calls and 20 supervisors' consoles open, how long
from a call's state change (the phone system's answer or hang-up) until every board has it.

Per setup:
  1. `--calls` calls posted to the API (POST /api/calls, Bearer token, each with a callId): the
     board's live calls;
  2. `--consoles` supervisors' streams (/console/events, raw asyncio sockets, sessions made in the
     database) held open on the consoles' server, and the board page (GET /console/, which starts
     with every live call) loaded `--pages` times;
  3. every call answered (Zammad's CTI `answer`: ringing → talking), then every call hung up
     (POST /api/calls/{id}/hangup: talking → ended), one change after the other; for each change,
     from just before the request to the moment the first and the last of the consoles received
     the call's new state.

setups:  default = one `calldesk serve` (2 workers) on SQLite, the database channel
         redis   = two `calldesk serve` (2 workers each) on PostgreSQL with REDIS_URL: the phone
                   system posts to the first, the consoles are on the second

The consoles are read as a browser's EventSource reads them; drawing the call in its column is a
few DOM operations in console.js (tests/browser/test_board_live.py checks that part).

Usage:  .venv/bin/python bench/board_bench.py [--calls 200] [--consoles 20] [--setups default,redis]
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from console_bench import FORM, Serve, environment, open_stream, percentile, setup

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/calldesk_board_bench")
AGENT = "maria@acme.com"  # a demo specialist: every call has a draft on the board


def fresh_postgres() -> str:
    import psycopg

    admin, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(admin.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL


class Console:
    """One supervisor's stream: when each (call, state) arrived."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, arrivals: Arrivals) -> None:
        self.reader, self.writer, self.arrivals = reader, writer, arrivals
        self.task = asyncio.ensure_future(self.read())

    async def read(self) -> None:
        while True:
            line = await self.reader.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                data = json.loads(line[6:])
                self.arrivals.note(data["call"], data["state"])


class Arrivals:
    def __init__(self, consoles: int) -> None:
        self.consoles = consoles
        self.times: dict[tuple[str, str], list[float]] = {}
        self.complete: dict[tuple[str, str], asyncio.Event] = {}

    def note(self, call: str, state: str) -> None:
        key = (call, state)
        self.times.setdefault(key, []).append(time.time())
        if len(self.times[key]) == self.consoles:
            self.event(key).set()

    def event(self, key: tuple[str, str]) -> asyncio.Event:
        return self.complete.setdefault(key, asyncio.Event())


def run_setup(
    name: str, database_url: str, redis: bool, arguments: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    env = environment(database_url, redis)
    pairs, token = setup(env, arguments.consoles, role="supervisor")
    servers = [Serve(env, 2, workdir / f"{name}-a.log")]
    if redis:
        servers.append(Serve(env, 2, workdir / f"{name}-b.log"))
    posting, consoles_at = servers[0], servers[-1]
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=posting.url, headers=headers, timeout=30) as phone_system:
            calls = []
            for number in range(arguments.calls):
                call_id = uuid.uuid4().hex
                body = {"reportVer": FORM, "ani": f"999{number:07d}", "dnis": "8886201111", "agent": AGENT,
                        "callId": call_id}  # fmt: skip
                answer = phone_system.post("/api/calls", json=body)
                assert answer.status_code == 201, answer.text
                calls.append((answer.json()["id"], call_id))
            pages = []
            with httpx.Client(base_url=consoles_at.url, cookies={"sessionid": pairs[0][1]}, timeout=30) as browser:
                for _ in range(arguments.pages):
                    started = time.perf_counter()
                    page = browser.get("/console/")
                    pages.append((time.perf_counter() - started) * 1000)
                    assert page.status_code == 200 and page.text.count('"state"') >= arguments.calls, page.status_code
            changes = asyncio.run(change_states(consoles_at.port, [s for _, s in pairs], phone_system, token, calls))
    finally:
        for server in servers:
            server.stop()
    return {"setup": name, "pages": pages, **changes}


async def change_states(
    port: int, sessions: list[str], phone_system: httpx.Client, token: str, calls: list[tuple[str, str]]
) -> dict[str, list[float]]:
    arrivals = Arrivals(len(sessions))
    streams = await asyncio.gather(*(open_stream(port, session) for session in sessions))
    consoles = [Console(reader, writer, arrivals) for reader, writer in streams]
    await asyncio.sleep(0.5)  # every stream past its catch-up
    first: dict[str, list[float]] = {"answer": [], "hangup": []}
    last: dict[str, list[float]] = {"answer": [], "hangup": []}

    def answer(call: str, call_id: str) -> httpx.Response:
        body = {"event": "answer", "callId": call_id, "user": AGENT, "direction": "in"}
        return phone_system.post(f"/api/v1/cti/{token}", data=body)

    def hang_up(call: str, call_id: str) -> httpx.Response:
        return phone_system.post(f"/api/calls/{call}/hangup", json={"cause": "normalClearing"})

    for kind, change, state in (("answer", answer, "talking"), ("hangup", hang_up, "ended")):
        for call, call_id in calls:
            started = time.time()
            done = await asyncio.to_thread(change, call, call_id)
            assert done.status_code == 200, done.text
            await asyncio.wait_for(arrivals.event((call, state)).wait(), 30)
            received = arrivals.times[(call, state)]
            first[kind].append((min(received) - started) * 1000)
            last[kind].append((max(received) - started) * 1000)
    for console in consoles:
        console.task.cancel()
        console.writer.close()
    return {"first_" + k: v for k, v in first.items()} | {"last_" + k: v for k, v in last.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--consoles", type=int, default=20)
    parser.add_argument("--pages", type=int, default=20, help="board page loads (GET /console/)")
    parser.add_argument("--setups", default="default,redis")
    arguments = parser.parse_args()
    print(f"Calldesk board benchmark: {os.cpu_count()} CPUs, {arguments.calls} live calls, "
          f"{arguments.consoles} supervisors' consoles; load average {os.getloadavg()}")  # fmt: skip
    print(f"{'setup':<30} {'change':<16} {'first p50':>10} {'first p95':>10} {'every p50':>10} {'every p95':>10}")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for name in [name for name in arguments.setups.split(",") if name]:
            redis = name == "redis"
            database = fresh_postgres() if redis else f"sqlite:///{workdir}/{name}.sqlite3"
            label = "2 x serve, PostgreSQL, Redis" if redis else "1 x serve, SQLite, database"
            found = run_setup(name, database, redis, arguments, workdir)
            for kind, title in (("answer", "answered→talking"), ("hangup", "hung up→gone")):
                firsts, lasts = found["first_" + kind], found["last_" + kind]
                print(
                    f"{label:<30} {title:<16} {statistics.median(firsts):>8.1f}ms {percentile(firsts, 0.95):>8.1f}ms "
                    f"{statistics.median(lasts):>8.1f}ms {percentile(lasts, 0.95):>8.1f}ms",
                    flush=True,
                )
            pages = found["pages"]
            loads = f"p50 {statistics.median(pages):.1f} ms, p95 {percentile(pages, 0.95):.1f} ms"
            print(f"{label:<30} board page (GET /console/, {arguments.calls} live calls): {loads}", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
