"""Live console benchmark: how fast a pushed call reaches a real Chromium console, and how many
open consoles one serving process holds while pages still answer at their usual speed.

Latency (per setup, --calls calls, one after the other):
    a phone system's POST /api/calls (to the first server) -> the call shows in a Chromium
    console (on the last server) (shown), and its draft has loaded in the report window the
    console opened (draft).
  setups:  default = one `calldesk serve` (2 workers) on SQLite, the database channel
           redis   = two `calldesk serve` (2 workers each) on PostgreSQL, Redis; the console on
                     the second one
Open consoles (--consoles N, one `calldesk serve --workers 1`, SQLite): the streams of N logged-in
    supervisors held open; /healthz and a whole screen pop, one request after the other, with none
    and with N open; then one call posted to the API, which every one of the N consoles receives.

Usage:  .venv/bin/python bench/console_bench.py [--calls 200] [--consoles 1000] [--setups default,redis]
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-console-password"
FORM = "1234567"  # the demo's form (dnis -> incoming line)
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/calldesk_push_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

# Runs in the set-up child: migrate, the demo, N specialists with sessions made directly.
SETUP = """
import json, os, time
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from calldesk.accounts.middleware import LAST_ACTIVITY
from calldesk.accounts.models import Organization, Role, User
call_command("migrate", verbosity=0)
call_command("demo", verbosity=0, stdout=open(os.devnull, "w"))
Organization.objects.update(two_factor_roles="")
org = User.objects.get(email="maria@acme.com").organization
hashed = make_password(os.environ["BENCH_PASSWORD"])
count = int(os.environ["BENCH_SPECIALISTS"])
User.objects.bulk_create([
    User(email=f"bench{i}@acme.com", password=hashed, organization=org, role=os.environ["BENCH_ROLE"],
         name=f"Bench {i}")
    for i in range(count)
])
sessions = []
for user in User.objects.filter(email__startswith="bench").order_by("pk"):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "calldesk.accounts.backends.UserWithOrganizationBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[LAST_ACTIVITY] = time.time() + 86400  # the bench's consoles never time out
    store.create()
    sessions.append([user.email, store.session_key])
from calldesk.configure.tokens import create_token
admin = User.objects.filter(organization=org, role=Role.ADMIN).first()
print(json.dumps({"sessions": sessions, "token": create_token(admin, "bench PBX").raw}))
"""


def post_call(client: Any, ani: str, agent: str) -> dict[str, Any]:
    """POST /api/calls as a phone system does; answers the call's ids and when the post started."""
    started = time.time()
    answer = client.post("/api/calls", json={"reportVer": FORM, "ani": ani, "dnis": "8886201111", "agent": agent})
    assert answer.status_code == 201, answer.text
    found = answer.json()
    return {"t0": started, "t1": time.time(), "call": found["id"], "report": found["draft"]["id"]}


# Records, in every page of the browser context, when a pushed call appeared and when a page loaded.
INIT_SCRIPT = """
window.__shown = {};
document.addEventListener("DOMContentLoaded", function () {
  window.__loadedAt = Date.now();
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        var call = node.dataset && node.dataset.call;
        if (call && !window.__shown[call]) window.__shown[call] = Date.now();
      });
    });
  }).observe(document.body, { childList: true, subtree: true });
});
"""


def environment(database_url: str, redis: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "calldesk.settings",
        "DATABASE_URL": database_url,
        "CALLDESK_PLAIN_STATIC": "1",
        "AXES_ENABLED": "false",
        "REDIS_URL": REDIS_URL if redis else "",
        "PUSH_REDIS_CHANNEL": f"calldesk-bench:push:{uuid.uuid4().hex[:8]}",
        "BENCH_PASSWORD": PASSWORD,
        # serve refuses the public default key; every process of one installation shares one.
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
    }


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres() -> str:
    import psycopg

    admin, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(admin.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL


def setup(env: dict[str, str], specialists: int, role: str = "specialist") -> tuple[list[tuple[str, str]], str]:
    """Answers the specialists' (email, session key) and the phone system's API token."""
    done = subprocess.run(
        [sys.executable, "-m", "calldesk.cli", "shell", "-c", SETUP],
        cwd=ROOT,
        env={**env, "BENCH_SPECIALISTS": str(specialists), "BENCH_ROLE": role},
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return [(email, session) for email, session in found["sessions"]], found["token"]


class Serve:
    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-m", "calldesk.cli", "serve", "--port", str(self.port), "--workers", str(workers)]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*argv, "--skip-collectstatic"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit("calldesk serve did not start:\n" + log.read_text()[-3000:])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def drive_console(
    posting_url: str, console_url: str, token: str, email: str, session: str, calls: int
) -> tuple[list[float], list[float], list[float]]:
    """Posts `calls` calls to `posting_url`; answers, per call, the ms until it showed in the
    console on `console_url`, until its draft had loaded in the report window, and until the
    API had answered the post."""
    import httpx
    from playwright.sync_api import sync_playwright

    shown: list[float] = []
    draft: list[float] = []
    posted: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=posting_url, headers=headers, timeout=30) as phone_system, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(base_url=console_url)
        context.add_cookies([{"name": "sessionid", "value": session, "url": console_url}])
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        page.goto("/console/")
        page.wait_for_selector("#console-connection[data-state=connected]")
        with page.expect_popup() as opening:
            page.click("#console-open-window")
        window = opening.value
        window.wait_for_load_state()
        for number in range(calls):
            pushed = post_call(phone_system, f"999{number:07d}", email)
            window.wait_for_url(f"**/reports/{pushed['report']}/edit/", wait_until="domcontentloaded")
            loaded = window.evaluate("window.__loadedAt")
            appeared = page.evaluate(f"window.__shown['{pushed['call']}']")
            shown.append(appeared - pushed["t0"] * 1000)
            draft.append(loaded - pushed["t0"] * 1000)
            posted.append((pushed["t1"] - pushed["t0"]) * 1000)
        browser.close()
    return shown, draft, posted


def latency(name: str, database_url: str, redis: bool, calls: int, workdir: Path) -> dict[str, Any]:
    env = environment(database_url, redis)
    ((email, session),), token = setup(env, 1)
    servers = [Serve(env, 2, workdir / f"{name}-a.log")]
    try:
        if redis:
            servers.append(Serve(env, 2, workdir / f"{name}-b.log"))
        shown, draft, posted = drive_console(servers[0].url, servers[-1].url, token, email, session, calls)
    finally:
        for server in servers:
            server.stop()
    return {
        "setup": name,
        "calls": calls,
        "shown_p50": statistics.median(shown),
        "shown_p95": percentile(shown, 0.95),
        "draft_p50": statistics.median(draft),
        "draft_p95": percentile(draft, 0.95),
        "post_p50": statistics.median(posted),
        "post_p95": percentile(posted, 0.95),
    }


async def open_stream(port: int, session: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /console/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: sessionid={session}\r\n"
        f"Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(head.decode(errors="replace"))
    return reader, writer


async def wait_for_event(reader: asyncio.StreamReader) -> float:
    while b"event: call" not in await reader.readline():
        pass
    return time.time()


def page_speed(url: str, cookie: str, rounds: int) -> dict[str, float]:
    """One client after the other: /healthz and a whole screen pop (telephony URL -> draft page)."""
    import httpx

    result: dict[str, float] = {}
    with httpx.Client(base_url=url, cookies={"sessionid": cookie}, timeout=30) as client:
        for label, path in (("healthz", "/healthz"), ("pop", None)):
            times = []
            for number in range(rounds if path else rounds // 10):
                started = time.perf_counter()
                if path:
                    client.get(path)
                else:
                    answer = client.get(
                        f"/Telephony/GetCallReport?reportVer={FORM}&ani=888{number:07d}&dnis=8886201111"
                    )
                    client.get(answer.headers["location"])
                times.append((time.perf_counter() - started) * 1000)
            result[f"{label}_p50"] = statistics.median(times)
            result[f"{label}_p99"] = percentile(times, 0.99)
    return result


async def hold_consoles(port: int, sessions: list[str]) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    streams = []
    for start in range(0, len(sessions), 50):  # 50 at a time, as consoles come back after a restart
        streams += await asyncio.gather(*(open_stream(port, session) for session in sessions[start : start + 50]))
    return streams


def open_consoles(count: int, rounds: int, workdir: Path) -> dict[str, Any]:
    database_url = f"sqlite:///{workdir}/consoles.sqlite3"
    env = environment(database_url, False)
    # Supervisors: each console receives every call of the organization, so one push is
    # delivered to all of them at once.
    pairs, token = setup(env, count + 1, role="supervisor")
    server = Serve(env, 1, workdir / "consoles.log")
    measuring, consoles = pairs[0], pairs[1:]

    async def scenario() -> dict[str, Any]:
        before = await asyncio.to_thread(page_speed, server.url, measuring[1], rounds)
        started = time.perf_counter()
        streams = await hold_consoles(server.port, [session for _, session in consoles])
        opened_in = time.perf_counter() - started
        during = await asyncio.to_thread(page_speed, server.url, measuring[1], rounds)
        waits = [asyncio.ensure_future(wait_for_event(reader)) for reader, _ in streams]
        import httpx

        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            pushed = await asyncio.to_thread(post_call, client, "7770000001", measuring[0])
        arrived = await asyncio.gather(*waits)
        alive = sum(1 for reader, _ in streams if not reader.at_eof())
        for _, writer in streams:
            writer.close()
        return {
            "before": before,
            "open_seconds": opened_in,
            "during": during,
            "all_pushed_seconds": max(arrived) - pushed["t0"],
            "first_pushed_seconds": min(arrived) - pushed["t0"],
            "alive": alive,
        }

    try:
        found = asyncio.run(scenario())
        rss = peak_rss(server.process.pid)
    finally:
        server.stop()
    return {"consoles": count, **found, "rss_mb": rss}


def peak_rss(pid: int) -> float:
    """The largest VmHWM of the server's processes (granian and its worker), in MB."""
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"PPid:\t{pid}\n" in text or status.parent.name == str(pid):
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--consoles", type=int, default=1000, help="0 leaves the open-consoles part out")
    parser.add_argument("--setups", default="default,redis")
    parser.add_argument("--rounds", type=int, default=300, help="/healthz requests per page-speed figure")
    arguments = parser.parse_args()
    print(f"Calldesk console benchmark: {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        print(
            f"{'setup':<34} {'calls':>5} {'shown p50':>10} {'shown p95':>10} {'draft p50':>10} {'draft p95':>10} "
            f"{'POST p50':>10} {'POST p95':>10}"
        )
        for name in [name for name in arguments.setups.split(",") if name]:
            redis = name == "redis"
            database = fresh_postgres() if redis else f"sqlite:///{workdir}/{name}.sqlite3"
            label = "2 x serve, PostgreSQL, Redis" if redis else "1 x serve, SQLite, database channel"
            found = latency(name, database, redis, arguments.calls, workdir)
            print(
                f"{label:<34} {found['calls']:>5} {found['shown_p50']:>8.1f}ms {found['shown_p95']:>8.1f}ms "
                f"{found['draft_p50']:>8.1f}ms {found['draft_p95']:>8.1f}ms "
                f"{found['post_p50']:>8.1f}ms {found['post_p95']:>8.1f}ms",
                flush=True,
            )
        if arguments.consoles:
            found = open_consoles(arguments.consoles, arguments.rounds, workdir)
            print(f"\nopen consoles on one process (1 worker, SQLite): {found['consoles']} opened in "
                  f"{found['open_seconds']:.1f} s, {found['alive']} still open at the end, peak RSS "
                  f"{found['rss_mb']:.0f} MB")  # fmt: skip
            print(f"one call pushed to all of them (supervisors' consoles): first received after "
                  f"{found['first_pushed_seconds'] * 1000:.0f} ms, the last after "
                  f"{found['all_pushed_seconds'] * 1000:.0f} ms")  # fmt: skip
            print(f"{'pages':<24} {'healthz p50':>12} {'healthz p99':>12} {'pop p50':>10} {'pop p99':>10}")
            for label, speed in (("no console open", found["before"]), (f"{found['consoles']} open", found["during"])):
                print(
                    f"{label:<24} {speed['healthz_p50']:>10.1f}ms {speed['healthz_p99']:>10.1f}ms "
                    f"{speed['pop_p50']:>8.1f}ms {speed['pop_p99']:>8.1f}ms"
                )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
