"""Autosave and submit benchmark (issue 3): Calldesk served as in production, driven over 127.0.0.1.

For each database (SQLite, PostgreSQL) it makes a fresh database, starts `calldesk serve --workers 2`
(granian serving WSGI) and logs the specialists in, all with bench/screenpop.py's helpers. Then, from
this process, at each connection count for --duration seconds:

  autosave  each connection opens its own draft (screen pop + editor page, not timed), reads the
            editor's form from the page and posts it back as the editor's script does
                POST /reports/<uuid>/save   (multipart form, Accept: application/json, X-CSRFToken)
            changing the notes each time and carrying the answered `version` forward;
  submit    each connection opens a fresh draft and submits it with the required fields
                GET  /Telephony/GetCallReport?...       -> 303 (timed as "open")
                POST /reports/<uuid>/submit             -> 200 JSON (timed as "submit")

It prints requests/s, p50 and p99 for each, and the load average, since the machine is shared.

Usage:  .venv/bin/python bench/autosave_bench.py [--databases sqlite,postgres] [--duration 30] [--repeat 2]
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import screenpop
from common import Client, editor_fields, multipart, with_values
from screenpop import ROOT, Server, fresh_database, login_all, percentile

ORG_ZONE = ZoneInfo("America/New_York")  # the demo organization's zone (calldesk/configio/demo.yaml)
TARGET_AUTOSAVE_P99_MS = 30.0


# --- the load -------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    operation: str
    connections: int
    run: int
    per_second: float
    p50_ms: float
    p99_ms: float
    count: int
    errors: int
    cpu_ms: float  # server CPU (granian workers + PostgreSQL backends) per answered request
    load_before: float
    load_after: float


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (the ones that still exist)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def backend_pids(database_url: str) -> list[int]:
    """PostgreSQL's server processes serving Calldesk's database (none for SQLite)."""
    if not database_url.startswith("postgres"):
        return []
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [int(r[0]) for r in rows]


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def submit_fields(target: str, rng: random.Random) -> list[tuple[str, str]]:
    """A completed report for the draft opened by `target` (a pop_target URL), as the editor posts it."""
    from urllib.parse import parse_qs, urlsplit

    params = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
    start = datetime.fromisoformat(params["callStart"]).astimezone(ORG_ZONE)
    return [
        ("version", "1"),  # a fresh draft
        ("submit_key", uuid4().hex),
        ("agent", ""),
        ("call_start", start.strftime("%Y-%m-%dT%H:%M:%S")),
        ("phone", params["ani"]),
        ("call_type", "referral_call"),
        ("f_language", rng.choice(["English", "Spanish", "Vietnamese"])),
        ("f_incoming_line", rng.choice(["Main line", "Veterans line"])),
        ("f_dialled_number", params["dnis"]),
        ("f_caller_name", ""),
        ("f_zip_code", f"{rng.randint(10000, 99999)}"),
        ("f_household_size", str(rng.randint(1, 6))),
        ("f_needs", "Food"),
        ("f_needs", "Housing or shelter"),
        ("f_referrals", "Food bank on Main St; shelter intake line."),
        ("f_email", ""),
        ("f_notes", "Caller asked about rent help. " * rng.randint(1, 8)),
    ]


@dataclass
class Step:
    latencies: list[float] = field(default_factory=list)  # of the measured window
    errors: int = 0
    done: int = 0  # answered, warm-up included (for CPU per request)


async def drive(
    port: int,
    cookies: list[str],
    connections: int,
    duration: float,
    operation: str,
    warmup: float,
    background: bool = False,
) -> dict[str, Step]:
    """Latencies and error counts per timed step ("save"; or "open" and "submit")."""
    timed: dict[str, Step] = {}
    unopened: list[str] = []
    # Marks the saves as the page's own requests, which the idle timeout does not count, so the
    # session is not written: an experiment showing what that write costs, not what the editor does.
    extra = "X-Calldesk-Background: 1\r\n" if background else ""

    def record(name: str, started: float, ok: bool, measure_from: float) -> None:
        step = timed.setdefault(name, Step())
        step.done += ok
        if started >= measure_from:
            if ok:
                step.latencies.append(time.perf_counter() - started)
            else:
                step.errors += 1

    async def autosaver(index: int, client: Client, measure_from: float, stop_at: float) -> None:
        rng = random.Random(index)
        try:
            path, _ = await client.open_draft(rng)
            status, _, page = await client.request("GET", path)
            if status != 200:
                raise RuntimeError(f"the editor answered HTTP {status}")
        except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
            unopened.append(type(exc).__name__)
            record("save", time.perf_counter(), False, measure_from)
            return
        fields = editor_fields(page.decode())
        version = dict(fields)["version"]
        saves = 0
        while (started := time.perf_counter()) < stop_at:
            saves += 1
            body, content_type = multipart(with_values(fields, version=version, f_notes=f"Typed so far: {saves} " * 4))
            ok = False
            try:
                status, _, answer = await client.request("POST", f"{path}save", body, content_type, extra)
                if status == 200:
                    version, ok = str(json.loads(answer)["version"]), True
                elif status == 409:  # cannot happen with one writer per draft; counted, then re-read
                    version = str(json.loads(answer).get("version", version))
            except (OSError, asyncio.IncompleteReadError, ValueError):
                client.close()
            record("save", started, ok, measure_from)

    async def submitter(index: int, client: Client, measure_from: float, stop_at: float) -> None:
        rng = random.Random(1000 + index)
        while (started := time.perf_counter()) < stop_at:
            ok = False
            try:
                path, target = await client.open_draft(rng)
                record("open", started, True, measure_from)
                body, content_type = multipart(submit_fields(target, rng))
                posted = time.perf_counter()
                status, _, answer = await client.request("POST", f"{path}submit", body, content_type)
                ok = status == 200 and json.loads(answer).get("ok") is True
                record("submit", posted, ok, measure_from)
            except (OSError, asyncio.IncompleteReadError, ValueError, RuntimeError):
                client.close()
                record("submit", started, False, measure_from)

    clients = [Client(port, cookies[i % len(cookies)]) for i in range(connections)]
    measure_from = time.perf_counter() + warmup
    stop_at = measure_from + duration
    worker = autosaver if operation == "autosave" else submitter
    await asyncio.gather(*(worker(i, c, measure_from, stop_at) for i, c in enumerate(clients)))
    if unopened:
        print(f"  {len(unopened)} of {connections} connections could not open their draft: {set(unopened)}")
    for client in clients:
        client.close()
    return timed


def server_command(kind: str, args: argparse.Namespace) -> str | None:
    """None: `calldesk serve` itself. With --backpressure: the same granian command line
    (serve.granian_argv) with another connection budget per worker, for comparison."""
    if args.backpressure is None:
        return None
    from calldesk.ops.management.commands.serve import POSTGRES_THREADS, SQLITE_THREADS, granian_argv

    threads = SQLITE_THREADS if kind == "sqlite" else POSTGRES_THREADS
    argv = granian_argv(host="127.0.0.1", port=1, workers=args.workers, threads=threads, access_log=False)
    argv[argv.index("--port") + 1] = "{port}"
    argv[-1:-1] = ["--backpressure", str(args.backpressure)]  # before the application target
    return " ".join(argv)


def run_database(kind: str, args: argparse.Namespace, workdir: Path) -> list[Result]:
    database_url = fresh_database(kind, args.pg_url, workdir)
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
    subprocess.run(
        [sys.executable, screenpop.__file__, "--setup", str(args.specialists)], cwd=ROOT, env=env, check=True
    )
    server = Server(database_url, args.workers, [], server_command(kind, args), log=workdir / f"server-{kind}.log")
    server.start()
    results: list[Result] = []
    try:
        cookies = login_all(server.port, args.specialists)
        for run in range(1, args.repeat + 1):
            for connections in args.connections:
                for operation in ("autosave", "submit"):
                    before = loadavg()
                    pids = server.workers()
                    cpu = cpu_seconds(pids), cpu_seconds(backends := backend_pids(database_url))
                    steps = asyncio.run(
                        drive(server.port, cookies, connections, args.duration, operation, args.warmup, args.background)
                    )
                    # Backends that started during the run are missed: their whole CPU is small.
                    used = cpu_seconds(pids) - cpu[0] + cpu_seconds(backends) - cpu[1]
                    after = loadavg()
                    requests = sum(s.done for s in steps.values())
                    for step, measured in steps.items():
                        latencies = measured.latencies
                        result = Result(
                            kind,
                            step,
                            connections,
                            run,
                            len(latencies) / args.duration,
                            percentile(latencies, 0.50) * 1000,
                            percentile(latencies, 0.99) * 1000,
                            len(latencies),
                            measured.errors,
                            1000 * used / max(requests, 1),
                            before,
                            after,
                        )
                        results.append(result)
                        print(row(result), flush=True)
    finally:
        server.stop()
    return results


def row(r: Result) -> str:
    return (
        f"{r.database:<9} {r.operation:<7} {r.connections:>5} {r.run:>3} {r.per_second:>8.0f} {r.p50_ms:>8.1f} "
        f"{r.p99_ms:>8.1f} {r.count:>7} {r.errors:>6} {r.cpu_ms:>7.1f}   {r.load_before:4.1f} -> {r.load_after:4.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/calldesk_bench"),
        help="PostgreSQL database to DROP and recreate (default: %(default)s)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per run (default 30)")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each run")
    parser.add_argument("--connections", default="8,32")
    parser.add_argument("--repeat", type=int, default=2, help="runs of every configuration (default 2)")
    parser.add_argument("--specialists", type=int, default=32, help="logged-in specialists (one per connection)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--background",
        action="store_true",
        help="experiment: send the saves as background requests, which skips the idle timeout's session write",
    )
    parser.add_argument(
        "--backpressure",
        type=int,
        help="run serve.granian_argv's command line with this --backpressure (connections per worker) instead",
    )
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    workdir = ROOT / "bench" / "results" / "autosave"  # not screenpop's: both may run at once
    workdir.mkdir(parents=True, exist_ok=True)

    print(
        f"Calldesk autosave/submit benchmark: {os.cpu_count()} CPUs, calldesk serve --workers {args.workers}, "
        f"{args.duration:.0f} s per run, {args.repeat} runs each; load average {loadavg():.1f}"
        + (f"\nEXPERIMENT: granian --backpressure {args.backpressure}" if args.backpressure else "")
        + ("\nEXPERIMENT: saves sent with X-Calldesk-Background: 1 (no session write)" if args.background else "")
    )
    print(
        f"{'database':<9} {'step':<7} {'conns':>5} {'run':>3} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'count':>7} {'errors':>6} {'CPU ms':>7}   load average"
    )
    everything: list[Result] = []
    for kind in args.databases.split(","):
        everything += run_database(kind, args, workdir)
    print()
    for kind in args.databases.split(","):
        saves = [r for r in everything if r.database == kind and r.operation == "save" and r.connections == 8]
        if saves:
            p99s = ", ".join(f"{r.p99_ms:.1f}" for r in saves)
            verdict = "ok" if max(r.p99_ms for r in saves) < TARGET_AUTOSAVE_P99_MS else "MISSED"
            print(f"{kind}: autosave p99 at 8 connections {p99s} ms: {verdict} (< {TARGET_AUTOSAVE_P99_MS:.0f})")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in everything], indent=2))


if __name__ == "__main__":
    main()
