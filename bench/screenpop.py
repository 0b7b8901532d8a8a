"""Screen-pop and autosave benchmark: the real paths against a floor, in-process and served.

For each database (SQLite, PostgreSQL) it makes a fresh database (migrate, `calldesk demo`, N extra
specialists; PostgreSQL ANALYZEd), then measures four paths and the floor's two in the same run:

    pop          GET /Telephony/GetCallReport?reportVer=1234567&ani=...  -> 303 -> GET the editor -> 200
    floor pop    GET /bench/floor/pop?(the same)   -> 303 -> GET /bench/floor/<uuid>/ -> 200
    autosave     POST /reports/<uuid>/save, multipart, as editor.js posts it         -> 200 JSON
    floor save   POST /bench/floor/<uuid>/save, the same body                        -> 200 JSON

The floor (bench/floor.py) is the least Django can do for the same work: INSERT call + report and
303; one SELECT rendering a page the editor's size; one guarded UPDATE. It is served by the same
process, behind the same middleware and session (bench/floor_settings.py adds its URLs).

1. In-process (bench/inprocess.py, Django's WSGI handler called directly): CPU and SQL queries per
   operation, and with --callgrind the instructions per operation (valgrind's callgrind).
2. Served (`calldesk serve --workers 2`, real logins): closed loop at --connections: operations/s,
   p50, p99, CPU per operation of the server's processes *and* PostgreSQL's backends (from /proc);
   then an open loop offering --rate pops/s (p50/p99 from each pop's scheduled start).
3. The ratios real/floor and the issue's targets.

The machine is shared: compare ratios measured in the same run, not absolute figures between runs.

Usage:  .venv/bin/python bench/screenpop.py [--databases sqlite,postgres] [--duration 20] [--no-callgrind]
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PASSWORD,
    Client,
    editor_fields,
    floor_target,
    fresh_database,
    multipart,
    pop_target,
    setup_database,
    with_values,
)

PATHS = ("pop", "floor pop", "autosave", "floor save")
TARGETS = {"pop": 1.5, "autosave": 1.2}  # at most this many times the floor's CPU
TARGET_POPS = 250  # per second at 8 connections on 2 cores
TARGET_OPEN_P99 = 50.0  # ms, at the offered --rate
MAX_IN_FLIGHT = 200  # open loop: pops waiting beyond this count as errors (file descriptors)


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`calldesk serve` in its own session (it execs granian, so the pid is granian's)."""

    def __init__(
        self,
        database_url: str,
        workers: int,
        extra: list[str],
        command: str | None,
        log: Path,
        settings: str = "calldesk.settings",
    ) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": settings,
            "PYTHONPATH": str(ROOT),  # bench.floor_settings
        }
        self.env.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))  # serve refuses the public one
        if command:  # another server, for comparisons (docs/serving.md); static collected first
            subprocess.run(
                [sys.executable, "-m", "calldesk.cli", "collectstatic", "--noinput", "-v0"],
                cwd=ROOT,
                env=self.env,
                check=True,
            )
            self.argv = command.format(port=self.port, workers=workers, python=sys.executable).split()
        else:
            self.argv = [
                sys.executable,
                "-m",
                "calldesk.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                *extra,
            ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"the server exited: {' '.join(self.argv)}") from None
                time.sleep(0.2)
        time.sleep(1.0)  # let every worker come up, not only the first

    def workers(self) -> list[int]:
        assert self.process is not None
        found: list[int] = []
        todo = [self.process.pid]
        while todo:  # the whole tree: uvicorn/granian may nest a supervisor
            pid = todo.pop()
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            found += [int(c) for c in children]
            todo += [int(c) for c in children]
        return found

    def reset_peaks(self) -> None:
        for pid in self.workers():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (peak RSS)
            except OSError:
                pass

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes: the cost of the work done, which a
        busy machine does not inflate the way it inflates latency."""
        assert self.process is not None
        total = 0
        for pid in [self.process.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> list[float]:
        peaks = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def login_all(port: int, count: int) -> list[str]:
    """Real login POSTs (CSRF token and all); returns each specialist's Cookie header."""
    import httpx

    cookies = []
    for i in range(count):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            page = client.get("/accounts/login/")
            token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
            done = client.post(
                "/accounts/login/",
                data={"username": f"specialist{i}@bench.example", "password": PASSWORD, "csrfmiddlewaretoken": token},
            )
            if done.status_code != 302 or "sessionid" not in client.cookies:
                raise SystemExit(f"login of specialist{i} failed: HTTP {done.status_code}")
            cookies.append("; ".join(f"{k}={v}" for k, v in client.cookies.items()))
    return cookies


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- the served measurement -------------------------------------------------------------------


def proc_cpu(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return found


def backend_pids(database_url: str) -> list[int]:
    """PostgreSQL's backends serving the benchmark's database (none for SQLite)."""
    if not database_url.startswith("postgres"):
        return []
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [int(r[0]) for r in rows]


class CpuMeter:
    """CPU of the server's processes and of the database's backends between start() and stop().
    A backend that ends during the window loses its last share (with persistent connections none
    does); one that starts counts from zero."""

    def __init__(self, server: Server, database_url: str) -> None:
        self.server, self.database_url = server, database_url

    def _read(self) -> tuple[dict[int, float], dict[int, float]]:
        assert self.server.process is not None
        return (
            proc_cpu([self.server.process.pid, *self.server.workers()]),
            proc_cpu(backend_pids(self.database_url)),
        )

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> tuple[float, float]:
        after = self._read()
        used = [sum(t - self.before[i].get(pid, 0.0) for pid, t in after[i].items()) for i in (0, 1)]
        return used[0], used[1]


@dataclass
class Served:
    database: str
    path: str
    load: str  # "8 conns" (closed loop) or "50/s" (open loop)
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float  # server + database CPU per operation
    db_cpu_ms: float  # of which PostgreSQL's backends


async def open_page(client: Client, target: str) -> tuple[str, bytes]:
    status, headers, _ = await client.request("GET", target)
    if status != 303:
        raise RuntimeError(f"{target.split('?')[0]} answered HTTP {status}")
    status, _, page = await client.request("GET", headers["location"])
    if status != 200:
        raise RuntimeError(f"{headers['location']} answered HTTP {status}")
    return headers["location"], page


def target_for(path: str, rng: random.Random) -> str:
    target = pop_target(rng)
    return floor_target(target) if path.startswith("floor") else target


async def closed_loop(
    port: int, cookies: list[str], connections: int, duration: float, warmup: float, path: str, fields: list
) -> tuple[list[float], int, int]:
    """Each connection repeats `path` back to back; (latencies of the window, errors, all done)."""
    latencies: list[float] = []
    errors = done = 0
    measure_from = time.perf_counter() + warmup + 1.0  # + drafts opened by the savers
    stop_at = measure_from + duration

    async def one(index: int) -> None:
        nonlocal errors, done
        rng = random.Random(f"{path} {index}")
        client = Client(port, cookies[index % len(cookies)])
        draft, version, saves = "", "1", 0
        if path in ("autosave", "floor save"):
            draft, _ = await open_page(client, target_for(path, rng))
        while (started := time.perf_counter()) < stop_at:
            ok = False
            try:
                if path in ("pop", "floor pop"):
                    await open_page(client, target_for(path, rng))
                    ok = True
                elif path == "healthz":
                    ok = (await client.request("GET", "/healthz"))[0] == 200
                else:
                    saves += 1
                    body, content_type = multipart(
                        with_values(fields, version=version, f_notes=f"Typed so far: {saves} " * 4)
                    )
                    status, _, answer = await client.request("POST", f"{draft}save", body, content_type)
                    if status == 200:
                        version, ok = str(json.loads(answer)["version"]), True
            except (OSError, asyncio.IncompleteReadError, ValueError, RuntimeError):
                client.close()
            done += ok
            if started >= measure_from:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
        client.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return latencies, errors, done


async def open_loop(
    port: int, cookies: list[str], rate: float, duration: float, warmup: float, path: str
) -> tuple[list[float], int, int]:
    """Pops offered at a steady `rate` whatever the answers' speed (open loop): each starts at its
    scheduled time on an idle connection (a new one if none is idle), and its latency counts from
    that scheduled time, so a slow server cannot slow the offered load down."""
    latencies: list[float] = []
    errors = done = 0
    idle: list[Client] = []
    made = 0
    rng = random.Random(path)
    begin = time.perf_counter()
    measure_from = begin + warmup
    total = int((warmup + duration) * rate)

    async def one(scheduled: float) -> None:
        nonlocal errors, done, made
        if idle:
            client = idle.pop()
        elif made - len(idle) >= MAX_IN_FLIGHT:  # the server has fallen far behind: a lost pop
            errors += scheduled >= measure_from
            return
        else:
            client = Client(port, cookies[made % len(cookies)])
            made += 1
        ok = False
        try:
            await open_page(client, target_for(path, rng))
            ok = True
        except (OSError, asyncio.IncompleteReadError, ValueError, RuntimeError):
            client.close()
        idle.append(client)
        done += ok
        if scheduled >= measure_from:
            if ok:
                latencies.append(time.perf_counter() - scheduled)
            else:
                errors += 1

    tasks = []
    for n in range(total):
        scheduled = begin + n / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    for client in idle:
        client.close()
    return latencies, errors, done


def served_runs(kind: str, database_url: str, args: argparse.Namespace, workdir: Path) -> list[Served]:
    log = workdir / f"server-{kind}.log"
    server = Server(database_url, args.workers, args.serve_arg, args.server_cmd, log, settings="bench.floor_settings")
    server.start()
    meter = CpuMeter(server, database_url)
    results: list[Served] = []
    try:
        cookies = login_all(server.port, args.specialists)

        async def editor_form() -> list:
            client = Client(server.port, cookies[0])
            _, page = await open_page(client, pop_target(random.Random(7)))
            client.close()
            return editor_fields(page.decode())

        fields = asyncio.run(editor_form())
        runs: list[tuple[str, str]] = [(p, f"{c} conns") for c in args.connections for p in (*PATHS, "healthz")]
        if args.rate:
            runs += [("pop", f"{args.rate:g}/s"), ("floor pop", f"{args.rate:g}/s")]
        for path, load in runs:
            meter.start()
            if load.endswith("/s"):
                latencies, errors, done = asyncio.run(
                    open_loop(server.port, cookies, args.rate, args.duration, args.warmup, path)
                )
            else:
                connections = int(load.split()[0])
                latencies, errors, done = asyncio.run(
                    closed_loop(server.port, cookies, connections, args.duration, args.warmup, path, fields)
                )
            cpu, db_cpu = meter.stop()
            drained(server.port)
            result = Served(
                kind,
                path,
                load,
                len(latencies) / args.duration,
                percentile(latencies, 0.50) * 1000,
                percentile(latencies, 0.99) * 1000,
                errors,
                1000 * (cpu + db_cpu) / max(done, 1),
                1000 * db_cpu / max(done, 1),
            )
            results.append(result)
            print(served_row(result), flush=True)
    finally:
        server.stop()
    return results


def drained(port: int) -> None:
    """Wait (up to a minute) until requests given up by the client have left the server's queue,
    so one run's backlog does not weigh on the next."""
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        except httpx.HTTPError:
            continue
        if time.perf_counter() - started < 0.05:
            return
        time.sleep(1)


def served_row(r: Served) -> str:
    return (
        f"  served   {r.path:<11} {r.load:>9} {r.per_second:>8.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
        f"{r.errors:>6} {r.cpu_ms:>8.2f} {r.db_cpu_ms:>8.2f}"
    )


# --- the in-process measurement -------------------------------------------------------------


def in_process(database_url: str, ops: int, callgrind: Path | None) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench.floor_settings"}
    # Slow runs (callgrind) outlive CONN_MAX_AGE: a backend replaced mid-window would take its CPU
    # with it. The served runs keep the configured age.
    env.setdefault("DB_CONN_MAX_AGE", "3600")
    argv = [sys.executable, str(ROOT / "bench" / "inprocess.py"), "--ops", str(ops)]
    if callgrind is not None:
        for old in callgrind.parent.glob(callgrind.name + "*"):
            old.unlink()
        argv = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={callgrind}",
            *argv,
            "--callgrind-out",
            str(callgrind),
        ]
    done = subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def ratio(values: dict[str, float | None], path: str) -> str:
    real, floor = values.get(path), values.get("floor pop" if path == "pop" else "floor save")
    return f"{real / floor:.2f}x" if real and floor else "-"


def run_database(kind: str, args: argparse.Namespace, workdir: Path) -> dict:
    database_url = fresh_database(kind, args.pg_url, workdir)
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
    subprocess.run([sys.executable, __file__, "--setup", str(args.specialists)], cwd=ROOT, env=env, check=True)
    print(f"{kind}:")
    measured = {m["path"]: m for m in in_process(database_url, args.ops, None)}
    if args.callgrind:
        for m in in_process(database_url, args.callgrind_ops, workdir / f"callgrind-{kind}.out"):
            measured[m["path"]]["instructions"] = m["instructions"]
    for m in measured.values():
        instructions = f"{m['instructions'] / 1e6:>9.2f}" if m["instructions"] else f"{'-':>9}"
        print(
            f"  in-proc  {m['path']:<11} {m['cpu_ms']:>8.2f} ms CPU {m['db_cpu_ms']:>6.2f} ms DB "
            f"{m['queries']:>5.1f} queries {instructions} M instructions"
        )
    served = served_runs(kind, database_url, args, workdir) if args.duration > 0 else []
    return {"database": kind, "in_process": list(measured.values()), "served": served}


def summary(outcome: dict, args: argparse.Namespace) -> list[str]:
    kind = outcome["database"]
    inproc = {m["path"]: m for m in outcome["in_process"]}
    lines = [f"{kind}:"]
    for path in ("pop", "autosave"):
        served = {r.path: r.cpu_ms for r in outcome["served"] if r.load == f"{args.connections[0]} conns"}
        cpu = {p: m["cpu_ms"] + m["db_cpu_ms"] for p, m in inproc.items()}
        instructions = {p: m["instructions"] for p, m in inproc.items()}
        queries = {p: m["queries"] for p, m in inproc.items()}
        floor = "floor pop" if path == "pop" else "floor save"
        served_ratio = ratio(served, path)
        verdict = "ok" if served_ratio != "-" and float(served_ratio[:-1]) <= TARGETS[path] else "MISSED"
        lines.append(
            f"  {path:<8} / floor: served CPU {served_ratio} ({verdict}, target <= {TARGETS[path]}x), in-process CPU "
            f"{ratio(cpu, path)}, instructions {ratio(instructions, path)}; queries {queries[path]:.1f} vs "
            f"{queries[floor]:.1f}"
        )
    for r in outcome["served"]:
        if r.path == "pop" and r.load == "8 conns":
            verdict = "ok" if r.per_second >= TARGET_POPS else "MISSED"
            lines.append(f"  pops/s at 8 connections: {r.per_second:.0f} ({verdict}, target >= {TARGET_POPS})")
        if r.load.endswith("/s"):
            verdict = "ok" if r.p99_ms < TARGET_OPEN_P99 else "MISSED"
            target = f", target < {TARGET_OPEN_P99:.0f} ms" if r.path == "pop" else ""
            lines.append(
                f"  {r.path} offered {r.load}: p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms "
                f"({verdict if r.path == 'pop' else 'floor'}{target})"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/calldesk_bench"),
        help="PostgreSQL database to DROP and recreate (default: %(default)s)",
    )
    parser.add_argument("--ops", type=int, default=200, help="in-process operations per path (default 200)")
    parser.add_argument(
        "--callgrind", action=argparse.BooleanOptionalAction, default=True, help="count instructions (default on)"
    )
    parser.add_argument("--callgrind-ops", type=int, default=10, help="operations per path under callgrind")
    parser.add_argument("--duration", type=float, default=20.0, help="served: measured seconds per run (0: none)")
    parser.add_argument("--warmup", type=float, default=3.0, help="served: unmeasured seconds before each run")
    parser.add_argument("--connections", default="8", help="served: closed-loop connection counts (default 8)")
    parser.add_argument("--rate", type=float, default=50.0, help="served: open-loop pops/s offered (0: none)")
    parser.add_argument("--specialists", type=int, default=32, help="logged-in specialists")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--serve-arg", action="append", default=[], help="extra `calldesk serve` argument")
    parser.add_argument("--server-cmd", help="another server command line with {port} {workers} {python}")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    if args.setup is not None:
        setup_database(args.setup)
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)  # as `calldesk serve` does
        return
    args.connections = [int(c) for c in args.connections.split(",")]
    workdir = ROOT / "bench" / "results"
    workdir.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print(
        f"Calldesk screen-pop benchmark at {commit.stdout.strip()}: {os.cpu_count()} CPUs, {args.workers} workers; "
        f"in-process {args.ops} ops/path (callgrind {args.callgrind_ops if args.callgrind else 'off'}); "
        f"served {args.duration:.0f} s per run"
    )
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(
        f"  served   {'path':<11} {'load':>9} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
        f"{'CPU ms':>8} {'of it DB':>8}"
    )
    outcomes = [run_database(kind, args, workdir) for kind in args.databases.split(",")]
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print()
    for outcome in outcomes:
        print("\n".join(summary(outcome, args)))
    if args.json:
        for outcome in outcomes:
            outcome["served"] = [asdict(r) for r in outcome["served"]]
        args.json.write_text(json.dumps(outcomes, indent=2))


if __name__ == "__main__":
    main()
