"""Screen-pop benchmark: Calldesk served as in production, driven over 127.0.0.1.

For each database (SQLite, PostgreSQL) it makes a fresh database (migrate, `calldesk demo`, N extra
specialists), starts `calldesk serve --workers 2`, logs the specialists in through the real login
form, then drives the full screen pop from this process

    GET /Telephony/GetCallReport?reportVer=1234567&ani=…&callStart=…&language=…&dnis=…  -> 303
    GET /reports/<uuid>/edit/ (the draft's editor)                                      -> 200

for --duration seconds at each connection count, and the same for GET /healthz. It prints screen
pops/s, p50/p99 latency of a whole pop, the server's CPU time per pop, peak RSS per server worker
and the pop/trivial ratio. The load average is printed too: figures from a busy machine are low.

Usage:  .venv/bin/python bench/screenpop.py [--databases sqlite,postgres] [--duration 30]
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout, installed or not
PASSWORD = "bench-specialist-password"
FORM = "1234567"  # the demo's form with mappings (language, dnis -> incoming line)
LANGUAGES = ["112211", "112212", "999999"]  # two mapped codes and one unknown (a notice)
LINES = ["8886201111", "8886202222", "5550000000"]


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


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`calldesk serve` in its own session (it execs granian, so the pid is granian's)."""

    def __init__(self, database_url: str, workers: int, extra: list[str], command: str | None, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
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


# --- a small keep-alive HTTP/1.1 client (httpx would cost more CPU than the server's work) ---


class Connection:
    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, dict[str, str]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{self.cookie_line}"
            "Accept: text/html\r\n\r\n".encode()
        )
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, headers


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


def pop_target(rng: random.Random) -> str:
    # A new caller and call time every time, so the 15-minute reopen never turns pops into lookups.
    ani = f"{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    start = datetime.now(UTC) - timedelta(seconds=rng.randint(0, 86_400), microseconds=rng.randint(0, 999_999))
    return (
        f"/Telephony/GetCallReport?reportVer={FORM}&ani={ani}&callStart={quote(start.isoformat())}"
        f"&language={rng.choice(LANGUAGES)}&dnis={rng.choice(LINES)}"
    )


@dataclass
class Result:
    database: str
    endpoint: str
    connections: int
    per_second: float
    server_cpu_ms: float  # server CPU time per pop (or per /healthz request)
    p50_ms: float
    p99_ms: float
    count: int
    errors: int
    peak_rss_mb: list[float]


async def drive(
    port: int, cookies: list[str], connections: int, duration: float, endpoint: str, warmup: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    measure_from = time.perf_counter() + warmup
    stop_at = measure_from + duration

    async def one(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        # /healthz is asked as a load balancer asks it: without a session.
        conn = Connection(port, "" if endpoint == "healthz" else cookies[index % len(cookies)])
        while (now := time.perf_counter()) < stop_at:
            try:
                if endpoint == "healthz":
                    status, _ = await conn.get("/healthz")
                    ok = status == 200
                else:
                    status, headers = await conn.get(pop_target(rng))
                    ok = status == 303
                    if ok:
                        status, _ = await conn.get(headers["location"])
                        ok = status == 200
            except (OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
                conn.writer = None
            if now >= measure_from:
                if ok:
                    latencies.append(time.perf_counter() - now)
                else:
                    errors += 1

    await asyncio.gather(*(one(i) for i in range(connections)))
    return latencies, errors, duration


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wrk_healthz(port: int, connections: int, duration: int) -> float | None:
    """wrk's figure for /healthz, a reference that does not depend on this Python client."""
    try:
        done = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", f"http://127.0.0.1:{port}/healthz"],
            capture_output=True,
            text=True,
            timeout=duration + 30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in done.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return None


def run_database(kind: str, args: argparse.Namespace, workdir: Path) -> tuple[list[Result], dict[int, float | None]]:
    database_url = fresh_database(kind, args.pg_url, workdir)
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
    subprocess.run([sys.executable, __file__, "--setup", str(args.specialists)], cwd=ROOT, env=env, check=True)
    log = workdir / f"server-{kind}.log"
    log.unlink(missing_ok=True)
    server = Server(database_url, args.workers, args.serve_arg, args.server_cmd, log)
    server.start()
    results: list[Result] = []
    wrk: dict[int, float | None] = {}
    try:
        cookies = login_all(server.port, args.specialists)
        for connections in args.connections:
            for endpoint in ("screen pop", "healthz"):
                server.reset_peaks()
                cpu_before = server.cpu_seconds()
                latencies, errors, duration = asyncio.run(
                    drive(server.port, cookies, connections, args.duration, endpoint, args.warmup)
                )
                # Includes the warm-up's work: count its operations in too (at the measured rate).
                done = len(latencies) * (duration + args.warmup) / duration
                cpu_ms = 1000 * (server.cpu_seconds() - cpu_before) / max(done, 1)
                result = Result(
                    kind,
                    endpoint,
                    connections,
                    len(latencies) / duration,
                    cpu_ms,
                    percentile(latencies, 0.50) * 1000,
                    percentile(latencies, 0.99) * 1000,
                    len(latencies),
                    errors,
                    [round(m, 1) for m in server.peak_rss_mb()],
                )
                results.append(result)
                print(row(result), flush=True)
            if args.wrk:
                wrk[connections] = wrk_healthz(server.port, connections, 10)
    finally:
        server.stop()
    return results, wrk


def row(r: Result) -> str:
    rss = "/".join(f"{m:.0f}" for m in r.peak_rss_mb) or "?"
    return (
        f"{r.database:<9} {r.endpoint:<11} {r.connections:>5} {r.per_second:>9.0f} {r.p50_ms:>8.1f} "
        f"{r.p99_ms:>8.1f} {r.server_cpu_ms:>7.2f} {r.errors:>6}   {rss}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/calldesk_bench"),
        help="PostgreSQL database to DROP and recreate (default: %(default)s)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per run (default 30)")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each run")
    parser.add_argument("--connections", default="8,32")
    parser.add_argument("--specialists", type=int, default=32, help="logged-in specialists (one per connection)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--serve-arg", action="append", default=[], help="extra `calldesk serve` argument")
    parser.add_argument("--server-cmd", help="another server command line with {port} {workers} {python}")
    parser.add_argument(
        "--wrk", action=argparse.BooleanOptionalAction, default=True, help="also measure /healthz with wrk (default on)"
    )
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    if args.setup is not None:
        setup_database(args.setup)
        return
    args.connections = [int(c) for c in args.connections.split(",")]
    workdir = ROOT / "bench" / "results"
    workdir.mkdir(parents=True, exist_ok=True)

    print(
        f"Calldesk screen-pop benchmark: {os.cpu_count()} CPUs, {args.workers} workers, "
        f"{args.duration:.0f} s per run, {args.specialists} specialists"
    )
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    print(f"server: {args.server_cmd or 'calldesk serve ' + ' '.join(args.serve_arg)}")
    print(
        f"{'database':<9} {'endpoint':<11} {'conns':>5} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'cpu ms':>7} {'errors':>6}   peak RSS MB per worker"
    )
    everything: list[Result] = []
    summary = []
    for kind in args.databases.split(","):
        results, wrk = run_database(kind, args, workdir)
        everything += results
        for connections in args.connections:
            pop = next(r for r in results if r.connections == connections and r.endpoint == "screen pop")
            trivial = next(r for r in results if r.connections == connections and r.endpoint == "healthz")
            line = (
                f"{kind} at {connections} connections: {pop.per_second:.0f} pops/s = "
                f"{100 * pop.per_second / trivial.per_second:.0f}% of /healthz ({trivial.per_second:.0f}/s)"
            )
            if wrk.get(connections):
                line += f"; wrk /healthz {wrk[connections]:.0f}/s -> {100 * pop.per_second / wrk[connections]:.0f}%"
            if connections == 8:
                verdict = [
                    f"p50 {pop.p50_ms:.1f} ms {'ok' if pop.p50_ms < 15 else 'MISSED'} (<15)",
                    f"p99 {pop.p99_ms:.1f} ms {'ok' if pop.p99_ms < 50 else 'MISSED'} (<50)",
                    f"ratio {'ok' if pop.per_second >= 0.25 * trivial.per_second else 'MISSED'} (>=25%)",
                ]
                line += "\n    targets at 8: " + ", ".join(verdict)
            summary.append(line)
    print()
    print("\n".join(summary))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in everything], indent=2))


if __name__ == "__main__":
    main()
