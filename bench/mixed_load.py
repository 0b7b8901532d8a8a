"""A mixed load through nginx in front of two Calldesk nodes (deploy/twonodes.py), with open
consoles, and what an operator fears while it runs: a node killed, Redis restarted, PostgreSQL
restarted.

    .venv/bin/python bench/mixed_load.py                                   # 5 min, 32 connections, 500 consoles
    .venv/bin/python bench/mixed_load.py --duration 60 --consoles 100      # a shorter look
    .venv/bin/python bench/mixed_load.py --drills kill-node,redis,postgres # the drills (see below)

Makes a fresh PostgreSQL database (--pg-url, DROPPED and recreated) with the tests' cast (one
organization, its specialists, a supervisor and an API token), brings the two nodes and nginx up,
and opens --consoles consoles (each a real stream of /console/events, reconnecting with
Last-Event-ID as the page's script does). Then --connections clients, each with its own login,
run for --duration seconds a mix of what a helpline does:

    pop        the telephony URL's 303, then the editor (a specialist's)
    autosave   the editor's form posted as its script posts it
    submit     a draft submitted
    list       the report list, the last 30 days
    search     the report list searched by a word of the summary (a personal field)
    dashboard  the supervisor's dashboard
    export     a CSV of the last day (supervisor)
    api-call   POST /api/calls (a phone system, Bearer token)
    hang-up    POST /api/calls/<id>/hangup for a call posted before

Errors are any answer but the expected one (a 503 while PostgreSQL restarts is counted apart: the
pages are meant to answer it then, never a 500). Every write the server acknowledged (an autosave's
version, a submit) is checked in the database at the end: none may be missing.

Drills (--drills, each at its own point of the run):
    kill-node  at 40 %: node a's process group is killed (SIGKILL); nginx must send everything to b
    redis      at 60 %: Redis stopped (`shutdown nosave`: every subscription dropped, nothing kept),
               started again --down-seconds later
    postgres   at 80 %: PostgreSQL stopped (`pg_ctl stop -m fast`, as `pg_ctlcluster stop` and
               systemd do: every connection ended), started again --down-seconds later

Which servers: with --servers private (the default when the redis or postgres drill is asked for)
the script starts a PostgreSQL (initdb into a temporary directory) and a Redis of its own on free
ports of 127.0.0.1 (tests/private_servers.py), runs everything on them, restarts those, and removes
them at the end: the machine's own servers, which other work shares, are never touched. With
--servers given, --pg-url and --redis-url are used; the redis drill then restarts the Redis at
--redis-url (its port, directory and log file read back from it first), and the postgres drill
restarts the cluster named by --pg-cluster VERSION/NAME (`pg_ctlcluster`), without which it refuses
to start: restarting a shared PostgreSQL by default is never safe.

Prints p50/p95/p99 and errors per operation, per phase ("redis down", "after redis", …), when each
server went and came back and how long until the pages answered again, and the consoles' events:
at the end every console's received event ids are compared with the push log, so an event lost to
a console that reconnected with Last-Event-ID is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")  # the tests' helpers import models
import django  # noqa: E402

django.setup()

from tests.cast import PASSWORD  # noqa: E402
from tests.private_servers import PrivatePostgres, PrivateRedis  # noqa: E402
from tests.push_servers import REDIS_URL, environment, make_cast, unique_channel  # noqa: E402

SPECIALIST, SUPERVISOR = "sam@lifeline.example", "sue@lifeline.example"
FORM = "9991234"
WEIGHTS = {
    "pop": 24,
    "autosave": 30,
    "submit": 6,
    "list": 10,
    "search": 6,
    "dashboard": 3,
    "export": 2,
    "api-call": 10,
    "hang-up": 9,
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FIELD = re.compile(r'<(?:input|textarea|select)[^>]*name="([^"]+)"')


@dataclass
class Tally:
    """Latencies and errors per operation and phase."""

    times: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    unavailable: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, str] = field(default_factory=dict)  # one error text per kind, for the report
    finished: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, outcome) of each

    def add(self, op: str, phase: str, seconds: float, outcome: str) -> None:
        key = (op, phase)
        self.finished.append((time.monotonic(), outcome))
        if outcome == "ok":
            self.times[key].append(seconds)
        elif outcome == "503":
            self.unavailable[key] += 1
        else:
            self.errors[key] += 1
            self.samples.setdefault(f"{op} ({phase}): {outcome[:60]}", outcome)


@dataclass
class Timeline:
    """What the charts draw over time: each node's memory, and when each drill ran."""

    started: float = 0.0
    memory: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # (s, node -> MB)
    drills: list[tuple[float, str]] = field(default_factory=list)


def node_memory_mb(nodes: dict[str, Any]) -> dict[str, float]:
    """Resident memory of each node's process group (its server and workers), from /proc."""
    found = {name: 0.0 for name in nodes}
    groups = {int(node["pid"]): name for name, node in nodes.items()}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            group = int(stat[2])
            if group in groups:
                pages = int(Path(f"/proc/{entry}/statm").read_text().split()[1])
                found[groups[group]] += pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            continue
    return found


@dataclass
class State:
    phase: str = "steady"
    outages: list[tuple[str, float, float]] = field(default_factory=list)  # (drill, went, back): monotonic
    stop: bool = False
    consoles_stop: bool = False
    drafts: list[str] = field(default_factory=list)  # report ids of open drafts
    calls: list[str] = field(default_factory=list)  # API calls not yet hung up
    acknowledged: dict[str, int] = field(default_factory=dict)  # report id -> version the server answered
    submitted: set[str] = field(default_factory=set)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def login(base: str, email: str) -> httpx.Cookies:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/accounts/login/")
        token = CSRF.search(page.text)
        assert token is not None, page.text[:300]
        done = client.post(
            "/accounts/login/",
            data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        )
        assert done.status_code == 302, done.text[:300]
        return client.cookies


def pop_url(rng: random.Random) -> str:
    ani = f"{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    start = datetime.now(UTC) - timedelta(seconds=rng.randint(0, 3600))
    return f"/Telephony/GetCallReport?reportVer={FORM}&agent=34&ani={ani}&callStart={quote(start.isoformat())}"


def editor_body(html: str, summary: str) -> dict[str, str]:
    """The editor's fields as its script posts them (inputs' values, each select's chosen option,
    else its first choice), with the summary typed."""
    form = html.split('id="report-form"', 1)[-1].split("</form>", 1)[0]
    data = {name: "" for name in FIELD.findall(form)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        data[name] = value
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        values = re.findall(r'<option value="([^"]*)"(\s+selected)?', options)
        chosen = [v for v, selected in values if selected] or [v for v, _ in values if v]
        data[name] = chosen[0] if chosen else ""
    data.pop("csrfmiddlewaretoken", None)
    data["f_summary"] = summary
    return data


def failed(answer: httpx.Response) -> str:
    """What an unexpected answer counts as: "503" when it says to try again (Retry-After), which the
    pages and the API are meant to answer while PostgreSQL is away; anything else is an error."""
    if answer.status_code == 503 and answer.headers.get("Retry-After"):
        return "503"
    return failed(answer)


class Worker:
    def __init__(self, base: str, cookies: httpx.Cookies, supervisor: httpx.Cookies, token: str, seed: int) -> None:
        self.client = httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30)
        self.boss = httpx.AsyncClient(base_url=base, cookies=supervisor, timeout=60)
        self.api = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        self.rng = random.Random(seed)
        self.drafts: dict[str, tuple[str, int]] = {}  # report id -> (editor html, version)

    def post_headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken") or "", "Accept": "application/json"}

    async def run(self, op: str, state: State) -> str:
        """One operation; "ok", "503", or what went wrong."""
        if op == "pop":
            first = await self.client.get(pop_url(self.rng))
            if first.status_code != 303:
                return failed(first)
            page = await self.client.get(first.headers["location"])
            if page.status_code != 200:
                return failed(page)
            report = first.headers["location"].strip("/").split("/")[-1]
            self.drafts[report] = (page.text, int(re.search(r'name="version" value="(\d+)"', page.text).group(1)))  # type: ignore[union-attr]
            return "ok"
        if op in ("autosave", "submit"):
            if not self.drafts:
                return await self.run("pop", state)
            report, (html, version) = next(iter(self.drafts.items()))
            body = editor_body(html, f"Caller talked about sleep, {self.rng.randint(0, 10**6)}")
            body["version"] = str(version)
            if op == "submit":
                body["submit_key"] = uuid.uuid4().hex
            answer = await self.client.post(
                f"/reports/{report}/{'submit' if op == 'submit' else 'save'}", data=body, headers=self.post_headers()
            )
            if answer.status_code != 200:
                self.drafts.pop(report, None)
                return failed(answer)
            found = answer.json()
            if op == "submit":
                self.drafts.pop(report, None)
                state.submitted.add(report)
            else:
                self.drafts[report] = (html, int(found["version"]))
                state.acknowledged[report] = int(found["version"])
            return "ok"
        if op == "list":
            answer = await self.client.get(
                "/reports/?from=" + (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
            )
            return "ok" if answer.status_code == 200 else failed(answer)
        if op == "search":
            answer = await self.boss.get("/reports/?f_summary=sleep")
            return "ok" if answer.status_code == 200 else failed(answer)
        if op == "dashboard":
            answer = await self.boss.get("/dashboards/")
            return "ok" if answer.status_code == 200 else failed(answer)
        if op == "export":
            day = datetime.now(UTC).date().isoformat()
            answer = await self.boss.get(f"/reports/?from={day}&export=csv")
            return "ok" if answer.status_code == 200 else failed(answer)
        if op == "api-call":
            body = {
                "reportVer": FORM,
                "ani": f"999555{self.rng.randint(0, 9999):04d}",
                "agent": SPECIALIST,
                "callId": uuid.uuid4().hex,
            }
            answer = await self.api.post("/api/calls", json=body)
            if answer.status_code != 201:
                return failed(answer)
            state.calls.append(answer.json()["id"])
            return "ok"
        if op == "hang-up":
            if not state.calls:
                return await self.run("api-call", state)
            call = state.calls.pop(0)
            answer = await self.api.post(f"/api/calls/{call}/hangup", json={"cause": "normalClearing"})
            return "ok" if answer.status_code == 200 else failed(answer)
        raise ValueError(op)

    async def close(self) -> None:
        for client in (self.client, self.boss, self.api):
            await client.aclose()


async def work(worker: Worker, state: State, tally: Tally) -> None:
    ops, weights = list(WEIGHTS), list(WEIGHTS.values())
    while not state.stop:
        op = worker.rng.choices(ops, weights)[0]
        phase = state.phase
        started = time.monotonic()
        try:
            outcome = await worker.run(op, state)
        except (httpx.HTTPError, OSError) as error:
            outcome = type(error).__name__
        tally.add(op, phase, time.monotonic() - started, outcome)
        if outcome not in ("ok",):
            await asyncio.sleep(0.2)  # a browser's script waits before trying again too


START = [time.monotonic()]


@dataclass
class Consoles:
    opened: int = 0
    events: int = 0
    reconnects: int = 0
    failed_opens: int = 0
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # refused opens by status
    received: dict[tuple[str, int], set[int]] = field(default_factory=dict)  # (who, console) -> event ids
    # (who, console) -> each connection: (seconds since the start, Last-Event-ID sent, status, first id, last id)
    history: dict[tuple[str, int], list[list[Any]]] = field(default_factory=lambda: defaultdict(list))
    start_id: int = 0
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    stopped_at: list[datetime] = field(default_factory=lambda: [datetime.now(UTC)])  # when the load stopped


async def console(
    base: str, cookies: httpx.Cookies, state: State, seen: Consoles, who: str, number: int, start_id: int
) -> None:
    last = str(start_id)  # the id the console page would have been rendered at
    received = seen.received.setdefault((who, number), set())
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=httpx.Timeout(30, read=None)) as client:
        first = True
        while not state.consoles_stop:
            try:
                headers = {"Last-Event-ID": last} if last else {}
                async with client.stream("GET", "/console/events", headers=headers) as answer:
                    entry: list[Any] = [round(time.monotonic() - START[0], 1), last, answer.status_code, None, None]
                    seen.history[(who, number)].append(entry)
                    if answer.status_code != 200:
                        seen.failed_opens += 1
                        seen.statuses[answer.status_code] += 1
                        await asyncio.sleep(1)
                        continue
                    if first:
                        seen.opened += 1
                        first = False
                    async for line in answer.aiter_lines():
                        if state.consoles_stop:
                            return
                        if line.startswith("id: "):
                            last = line[4:]
                            seen.events += 1
                            received.add(int(last))
                            entry[3] = entry[3] or int(last)
                            entry[4] = int(last)
            except (httpx.HTTPError, OSError):
                pass
            if not state.consoles_stop:
                seen.reconnects += 1
                await asyncio.sleep(1 + random.random() * 2)  # as the page's EventSource retries


class Servers:
    """The PostgreSQL and Redis the nodes use, and how the drills stop and start them."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.postgres: PrivatePostgres | None = None
        self.redis: PrivateRedis | None = None
        self.pg_url, self.redis_url = args.pg_url, args.redis_url
        self.redis_argv: list[str] = []

    def __enter__(self) -> Servers:
        if self.args.servers == "private":
            self.postgres, self.redis = PrivatePostgres(), PrivateRedis()
            self.postgres.create()
            self.redis.start()
            self.pg_url = self.postgres.url(self.args.pg_url.rsplit("/", 1)[1])
            self.redis_url = self.redis.url
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self.postgres, self.redis):
            if server is not None:
                server.destroy()

    def stop(self, name: str) -> None:
        if name == "redis":
            if self.redis is not None:
                return self.redis.stop()
            import redis

            given = redis.Redis.from_url(self.redis_url)
            config = {**given.config_get("dir"), **given.config_get("logfile"), **given.config_get("bind")}
            port = str(given.connection_pool.connection_kwargs.get("port", 6379))
            self.redis_argv = ["redis-server", "--daemonize", "yes", "--port", port, "--save", "", "--appendonly", "no"]
            self.redis_argv += [
                "--bind",
                *config["bind"].split(),
                "--dir",
                config["dir"],
                "--logfile",
                config["logfile"],
            ]
            subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True)
        elif self.postgres is not None:
            self.postgres.stop()
        else:
            version, cluster = self.args.pg_cluster.split("/")
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "stop", "-m", "fast"], check=True
            )

    def start(self, name: str) -> None:
        if name == "redis":
            if self.redis is not None:
                return self.redis.start()
            subprocess.run(self.redis_argv, check=True)
        elif self.postgres is not None:
            self.postgres.start()
        else:
            version, cluster = self.args.pg_cluster.split("/")
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "start"], check=True)


def drill(name: str, nodes: dict[str, Any], servers: Servers, state: State, down_seconds: float) -> None:
    if name == "kill-node":
        os.killpg(nodes["a"]["pid"], signal.SIGKILL)
        return
    went = time.monotonic()
    state.phase = f"{name} down"
    servers.stop(name)
    time.sleep(down_seconds)
    servers.start(name)
    state.outages.append((name, went, time.monotonic()))
    state.phase = f"after {name}"


async def main_async(
    args: argparse.Namespace, base: str, nodes: dict[str, Any], token: str, servers: Servers
) -> tuple[Tally, Consoles, State, Timeline]:
    state, tally, seen, timeline = State(), Tally(), Consoles(), Timeline()
    stopped_at = seen.stopped_at
    loop = asyncio.get_running_loop()
    specialist = await loop.run_in_executor(None, login, base, SPECIALIST)
    supervisor = await loop.run_in_executor(None, login, base, SUPERVISOR)
    start_id = seen.start_id = await loop.run_in_executor(None, latest_event_id, servers.pg_url)
    watchers = [
        asyncio.create_task(
            console(
                base,
                supervisor if i % 2 else specialist,
                state,
                seen,
                SUPERVISOR if i % 2 else SPECIALIST,
                i,
                start_id,
            )
        )
        for i in range(args.consoles)
    ]
    cookies = [await loop.run_in_executor(None, login, base, SPECIALIST) for _ in range(args.connections)]
    workers = [Worker(base, cookies[i], supervisor, token, i) for i in range(args.connections)]
    tasks = [asyncio.create_task(work(w, state, tally)) for w in workers]
    drills = [d for d in args.drills.split(",") if d]
    points = {"kill-node": 0.4, "redis": 0.6, "postgres": 0.8}
    started = timeline.started = START[0] = time.monotonic()
    seen.started_at = datetime.now(UTC)
    done: set[str] = set()
    while time.monotonic() - started < args.duration:
        await asyncio.sleep(0.5)
        if not timeline.memory or time.monotonic() - started - timeline.memory[-1][0] >= 2:
            timeline.memory.append((time.monotonic() - started, node_memory_mb(nodes)))
        elapsed = (time.monotonic() - started) / args.duration
        for name in drills:
            if name not in done and elapsed >= points[name]:
                done.add(name)
                state.phase = f"after {name}"
                print(f"  {time.monotonic() - started:6.1f} s: drill {name}", flush=True)
                timeline.drills.append((time.monotonic() - started, name))
                await loop.run_in_executor(None, drill, name, nodes, servers, state, args.down_seconds)
                if name in ("redis", "postgres"):
                    print(f"  {time.monotonic() - started:6.1f} s: {name} back", flush=True)
    state.stop = True
    stopped_at[0] = datetime.now(UTC)
    await asyncio.gather(*tasks, return_exceptions=True)
    # Consoles keep reading a while: the events of the last operations are on their way, and a console
    # waiting to reconnect (after a drill) catches up with Last-Event-ID as a browser would.
    await asyncio.sleep(12)
    state.consoles_stop = True
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    for w in workers:
        await w.close()
    return tally, seen, state, timeline


def latest_event_id(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        row = conn.execute("SELECT max(id) FROM push_pushevent").fetchone()
    return int(row[0] or 0) if row else 0


def missed_events(database_url: str, seen: Consoles) -> tuple[int, int, int, dict[int, int]]:
    """(consoles that missed events, events missed in all, events expected in all): each console's
    received ids against the push log's events it may see, from the start to 5 s before the load
    stopped (later ones may still have been on their way when the consoles closed)."""
    import psycopg

    until = seen.stopped_at[0] - timedelta(seconds=5)
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as conn:
        users = dict(conn.execute("SELECT email, id FROM accounts_user").fetchall())
        org = conn.execute("SELECT organization_id FROM accounts_user WHERE email = %s", [SUPERVISOR]).fetchone()[0]  # type: ignore[index]
        rows = conn.execute(
            "SELECT id, pop_for_id, agent_id, created_at FROM push_pushevent WHERE organization_id = %s AND id > %s "
            "AND created_at <= %s",
            [org, seen.start_id, until],
        ).fetchall()
    consoles = missed = expected = 0
    when = {i: int((created - seen.started_at).total_seconds() // 10) * 10 for i, _, _, created in rows}
    by_time: dict[int, int] = defaultdict(int)  # missed events by when they were made (10-s buckets)
    for (who, _), received in seen.received.items():
        wanted = {i for i, pop_for, agent, _ in rows if who == SUPERVISOR or users[who] in (pop_for, agent)}
        gone = wanted - received
        expected += len(wanted)
        missed += len(gone)
        consoles += bool(gone)
        for i in gone:
            by_time[when[i]] += 1
        if gone and os.environ.get("MIXED_DEBUG") and consoles <= 3:
            print(f"console {who} {_}: missed {len(gone)}, ids {min(gone)}..{max(gone)}: {seen.history[(who, _)]}")
    return consoles, missed, expected, dict(sorted(by_time.items()))


def lost_writes(database_url: str, state: State) -> list[str]:
    import psycopg

    wanted = list(state.acknowledged.items())
    lost = []
    with psycopg.connect(database_url) as conn:
        for report, version in wanted:
            row = conn.execute(
                "SELECT version FROM reports_callreport WHERE public_id = %s", [uuid.UUID(report)]
            ).fetchone()
            if row is None or row[0] < version:
                lost.append(report)
        for report in state.submitted:
            row = conn.execute(
                "SELECT status FROM reports_callreport WHERE public_id = %s", [uuid.UUID(report)]
            ).fetchone()
            if row is None or row[0] != "submitted":
                lost.append(report)
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--consoles", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="server processes per node")
    parser.add_argument("--drills", default="", help="comma-separated: kill-node, redis, postgres")
    parser.add_argument("--down-seconds", type=float, default=10, help="how long Redis or PostgreSQL stays down")
    parser.add_argument(
        "--servers",
        choices=("private", "given"),
        help="private: a PostgreSQL and a Redis of the script's own (the default with the redis or "
        "postgres drill); given: --pg-url and --redis-url",
    )
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/calldesk_mixed")
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument(
        "--pg-cluster", help="VERSION/NAME of the cluster the postgres drill restarts (--servers given)"
    )
    parser.add_argument("--svg", type=Path, help="draw the charts into this SVG file")
    args = parser.parse_args()
    drills = {d for d in args.drills.split(",") if d}
    if args.servers is None:
        args.servers = "private" if drills & {"redis", "postgres"} else "given"
    if args.servers == "given" and "postgres" in drills and not args.pg_cluster:
        parser.error("the postgres drill on --servers given needs --pg-cluster VERSION/NAME (the one to restart)")
    with Servers(args) as servers:
        run(args, servers)


def run(args: argparse.Namespace, servers: Servers) -> None:
    import psycopg

    admin, name = servers.pg_url.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    folder = Path(tempfile.mkdtemp(prefix="calldesk-mixed-"))
    env = {
        **environment(servers.pg_url, unique_channel(servers.redis_url)),
        "REDIS_URL": servers.redis_url,
        "CALLDESK_VAR_DIR": str(folder / "var"),
    }
    script = [sys.executable, str(ROOT / "deploy" / "twonodes.py")]
    up = subprocess.run(
        [*script, "up", "--dir", str(folder), "--workers", str(args.workers)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if up.returncode != 0:
        raise SystemExit(up.stderr[-3000:])
    try:
        nodes = json.loads(up.stdout.strip().splitlines()[-1])
        token = make_cast(env)
        base = nodes["nginx"]["url"]
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        print(
            f"Mixed load at {commit.stdout.strip()}: "
            f"{args.duration:.0f} s, {args.connections} connections, {args.consoles} consoles, "
            f"nginx + 2 nodes x {args.workers} workers, {args.servers} servers, "
            f"load average before {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        tally, seen, state, timeline = asyncio.run(main_async(args, base, nodes["nodes"], token, servers))
        lost = lost_writes(servers.pg_url, state)
        console_misses = missed_events(servers.pg_url, seen)
    finally:
        subprocess.run([*script, "down", "--dir", str(folder)], env=env, capture_output=True)
    phases = sorted(
        {phase for _, phase in [*tally.times, *tally.errors, *tally.unavailable]}, key=lambda p: (p != "steady", p)
    )
    columns = ("done", "errors", "503", "p50 ms", "p95 ms", "p99 ms")
    print(f"{'operation':<10} {'phase':<18} " + " ".join(f"{c:>8}" for c in columns))
    total_errors = 0
    for phase in phases:
        for op in WEIGHTS:
            key = (op, phase)
            times = tally.times.get(key, [])
            errors, unavailable = tally.errors.get(key, 0), tally.unavailable.get(key, 0)
            total_errors += errors
            if times or errors or unavailable:
                shares = [f"{1000 * percentile(times, q):>8.1f}" for q in (0.5, 0.95, 0.99)]
                print(f"{op:<10} {phase:<18} {len(times):>8} {errors:>8} {unavailable:>8} " + " ".join(shares))
    done = sum(len(t) for t in tally.times.values())
    print(
        f"operations: {done} ({done / args.duration:.0f}/s), errors: {total_errors}, "
        f"lost acknowledged writes: {len(lost)} of {len(state.acknowledged) + len(state.submitted)}"
    )
    print(
        f"consoles: {seen.opened} of {args.consoles} opened, {seen.events} events received, "
        f"{seen.reconnects} reconnects, {seen.failed_opens} refused opens {dict(seen.statuses)}; "
        f"{console_misses[0]} consoles missed {console_misses[1]} of the {console_misses[2]} events they "
        f"should have received (by when they were made, s: {console_misses[3]}); "
        f"load average after {os.getloadavg()[0]:.1f}"
    )
    for name, went, back in state.outages:
        answered = min((t for t, ok in tally.finished if ok and t >= back), default=float("nan"))
        following = min((w for _, w, _ in state.outages if w > went), default=float("inf"))
        refused = max((t for t, ok in tally.finished if not ok and went <= t < following), default=float("nan"))
        print(
            f"{name}: down {back - went:.1f} s; the first operation answered {answered - back:.1f} s after it was "
            f"back, the last one refused {refused - back:.1f} s after"
        )
    if timeline.memory:  # each node's memory at the start, at each drill, and at the end
        moments = [0.0, *(t for t, _ in timeline.drills), timeline.memory[-1][0]]
        marks = [next((m for m in timeline.memory if m[0] >= t), timeline.memory[-1]) for t in moments]
        print(
            "memory, MB: "
            + "; ".join(f"{t:.0f} s: " + ", ".join(f"{n} {mb:.0f}" for n, mb in m.items()) for t, m in marks)
        )
    for sample in list(tally.samples)[:10]:
        print(f"  error: {sample}")
    if args.svg:
        args.svg.write_text(charts(tally, timeline, args))
        print(f"charts: {args.svg}")


# --- the charts: plain SVG, drawn here (no plotting library on a server) --------------------------

WIDTH, PANEL, LEFT = 900, 260, 70
COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df")


def _axis(top: float, label: str, high: float, unit: str) -> list[str]:
    bottom = top + PANEL - 40
    parts = [
        f'<text x="{LEFT}" y="{top - 8}" font-weight="bold">{label}</text>',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - 20}" y2="{bottom}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{bottom}" stroke="#888"/>',
    ]
    for step in range(5):
        value = high * step / 4
        y = bottom - (bottom - top) * step / 4
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.0f}" text-anchor="end">{value:.0f}{unit}</text>')
    return parts


def _line(points: list[tuple[float, float]], top: float, span: float, high: float, colour: str) -> str:
    bottom = top + PANEL - 40
    xy = " ".join(
        f"{LEFT + (WIDTH - 20 - LEFT) * t / span:.1f},{bottom - (bottom - top) * min(v / high, 1):.1f}"
        for t, v in points
    )
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{xy}"/>'


def charts(tally: Tally, timeline: Timeline, args: argparse.Namespace) -> str:
    """Latency per operation (p50 and p95, every phase together), throughput and errors over time
    with the drills marked, and each node's memory over time."""
    parts: list[str] = []
    # 1. p50 / p95 per operation.
    top = 40.0
    latency = {op: [t for (o, _), ts in tally.times.items() if o == op for t in ts] for op in WEIGHTS}
    high = max((percentile(v, 0.95) for v in latency.values() if v), default=1) * 1000 * 1.1
    parts += _axis(top, "Latency per operation: p50 (light), p95 (dark), ms", high, "")
    slot = (WIDTH - 20 - LEFT) / len(WEIGHTS)
    bottom = top + PANEL - 40
    for index, (op, values) in enumerate(latency.items()):
        x = LEFT + slot * index + slot * 0.15
        for shade, fraction, offset in (("#9ecbff", 0.5, 0.0), ("#0a3069", 0.95, slot * 0.35)):
            ms = 1000 * percentile(values, fraction) if values else 0
            height = (bottom - top) * min(ms / high, 1)
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{bottom - height:.1f}" width="{slot * 0.3:.1f}" '
                f'height="{height:.1f}" fill="{shade}"/>'
            )
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{bottom + 14}" text-anchor="middle">{op}</text>')
    # 2. Operations per second: answered, answered 503 with Retry-After (the database away), and
    # errors (anything else), 5-second buckets.
    top += PANEL + 20
    span = max(args.duration, 1)
    kinds = {"ok": 0, "503": 1}
    buckets: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for moment, outcome in tally.finished:
        buckets[int((moment - timeline.started) // 5)][kinds.get(outcome, 2)] += 1
    whole = [(b, n) for b, n in sorted(buckets.items()) if 5 * b + 5 <= span]  # the last, cut short, left out
    lines = [[(5 * b + 2.5, n[kind] / 5) for b, n in whole] for kind in range(3)]
    high = max((v for line in lines for _, v in line), default=1) * 1.1
    title = f"Over the {span:.0f} s, a second: answered (blue), 503 with Retry-After (amber), errors (red)"
    parts += _axis(top, title, high, "")
    colours = (COLOURS[0], COLOURS[3], COLOURS[1])
    parts += [_line(line, top, span, high, colour) for line, colour in zip(lines, colours, strict=True)]
    for moment, name in timeline.drills:
        x = LEFT + (WIDTH - 20 - LEFT) * moment / span
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + PANEL - 40}" stroke="#666" stroke-dasharray="4"/>'
        )
        parts.append(f'<text x="{x + 4:.1f}" y="{top + 12}">{name}</text>')
    # 3. Memory of each node's processes.
    top += PANEL + 20
    names = sorted({name for _, sample in timeline.memory for name in sample})
    high = max((mb for _, sample in timeline.memory for mb in sample.values()), default=1) * 1.1
    parts += _axis(
        top,
        "Memory of each node (server and its workers), MB: "
        + ", ".join(f"node {name} ({colour})" for name, colour in zip(names, ("blue", "red", "green"), strict=False)),
        high,
        "",
    )
    for name, colour in zip(names, COLOURS, strict=False):
        parts.append(_line([(t, sample.get(name, 0)) for t, sample in timeline.memory], top, span, high, colour))
    height = top + PANEL + 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" font-family="sans-serif" '
        f'font-size="11"><rect width="100%" height="100%" fill="white"/>' + "".join(parts) + "</svg>\n"
    )


if __name__ == "__main__":
    main()
