"""Rows per second of the exports and the API, and the dashboard's time, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/calldesk_bench CALLDESK_VAR_DIR=/tmp/bench-keys \\
        .venv/bin/python bench/throughput_bench.py --org acme [--code /path/to/another/checkout]

Measures, as the organization's supervisor through Django's test client (middleware, view,
queries; no network): a CSV export of the newest --csv-rows reports (rows/s and the process's
memory while it streams), an XLSX export of the newest --xlsx-rows, `/api/reports` walked by
cursor (--api-pages pages of 200, every report and then the period that holds them, as an
export job walks), the same two walks through `calldesk serve` over HTTP (`served`), and the
dashboard for 30 and 365 days (median and p95).

`--code` runs another checkout's `calldesk` package (e.g. a worktree of main) against the same
database and keys, so "before" and "after" come from one run on one machine: run the script
twice in a row, once with `--code` pointing at the old code. The database must be migrated by
the newer code; an added index then serves the old code too, so take "before" figures of
queries that an index changes before migrating.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ARGS = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ARGS.add_argument("--org", default="acme")
ARGS.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1], help="checkout whose code runs")
ARGS.add_argument("--csv-rows", type=int, default=100_000)
ARGS.add_argument("--xlsx-rows", type=int, default=50_000)
ARGS.add_argument("--api-pages", type=int, default=100)
ARGS.add_argument("--runs", type=int, default=5, help="dashboard runs (median and p95 of these)")
ARGS.add_argument("--repeat", type=int, default=2, help="exports and API paging, each this many times")
ARGS.add_argument(
    "--only",
    default="csv,xlsx,api,api-export,served,dashboard",
    help="comma-separated subset (served: the API through `calldesk serve`, with api-export its export too;"
    " dashboard-30: only its 30 days)",
)
OPTIONS = ARGS.parse_args()

sys.path.insert(0, str(OPTIONS.code.resolve()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
os.environ.setdefault("CALLDESK_PLAIN_STATIC", "1")  # pages without collectstatic in either checkout

import django  # noqa: E402

django.setup()

from common import admin_token, export_reports_api, walk_reports_api  # noqa: E402  (bench/, the script's own folder)
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from calldesk.accounts.models import Organization, Role, User  # noqa: E402
from calldesk.reports.models import CallReport  # noqa: E402


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def group_rss_mb(group: int) -> float:
    """The resident memory of a process group's processes (a server and its workers), added up."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == group:
                total += rss_mb(entry.name)
    return total


def newest_day(org: Organization, rows: int) -> str:
    """The first day of a range ending today that holds about `rows` reports."""
    newest = CallReport.objects.filter(organization=org).order_by("-call_start").values_list("call_start", flat=True)
    return (timezone.localtime(newest[rows - 1], org.zone).date() + timedelta(days=1)).isoformat()


def export(client: Client, org: Organization, fmt: str, rows: int) -> None:
    url = f"/reports/?status=any&from={newest_day(org, rows)}&export={fmt}"
    before = rss_mb()
    peak = before
    cpu = time.process_time()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    size = 0
    for chunk in response.streaming_content:  # type: ignore[attr-defined]
        size += len(chunk)
        peak = max(peak, rss_mb())
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    count = int(response["X-Export-Rows"])
    print(
        f"{fmt.upper():4} export  {count:>9,} rows {size / 1e6:6.0f} MB  {elapsed:6.2f} s"
        f"  {count / elapsed:>9,.0f} rows/s"
        f"  ({count / cpu:,.0f} rows per CPU second of this process)"
        f"  RSS {before:.0f} MB before, {peak:.0f} MB at most while sent",
        flush=True,
    )


def api_paging(org: Organization, pages: int, limit: int = 200, period: dict[str, str] | None = None) -> None:
    rows, elapsed, cpu, parsing = walk_reports_api(org, pages, limit, period)
    label = f"API  paging, {'from ' + period['from'] if period else 'every report'}"
    print(
        f"{label:<30} {rows:>9,} rows ({limit} a page)  {elapsed:6.2f} s  {rows / elapsed:>9,.0f} rows/s"
        f"  ({rows / cpu:,.0f} rows per CPU second of this process;"
        f" {rows / (cpu - parsing):,.0f} without the client's parsing of the answers)",
        flush=True,
    )


def api_export(org: Organization, rows: int) -> None:
    """`GET /api/reports/export` of the period that holds about `rows` reports, in process."""
    before = peak = rss_mb()

    def watch() -> None:
        nonlocal peak
        peak = max(peak, rss_mb())

    count, elapsed, cpu, parsing = export_reports_api(org, {"from": newest_day(org, rows)}, watch)
    print(
        f"{'API  export, JSON lines':<30} {count:>9,} rows {'':13} {elapsed:6.2f} s  {count / elapsed:>9,.0f} rows/s"
        f"  ({count / cpu:,.0f} rows per CPU second of this process; {count / (cpu - parsing):,.0f} without the"
        f" client's parsing)  RSS {before:.0f} MB before, {peak:.0f} MB at most while sent",
        flush=True,
    )


def served_paging(
    org: Organization, pages: int, periods: list[dict[str, str] | None], export_rows: int = 0, limit: int = 200
) -> None:
    """The same walks through `calldesk serve` (granian, 2 workers, the --code checkout) over one
    HTTP/1.1 keep-alive connection, as the issue measured them: reading and parsing each answer
    is in the wall clock, as for any client, which needs `next` before it asks again."""
    headers = {"Authorization": f"Bearer {admin_token(org, 'bench, served')}"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(OPTIONS.code.resolve())}
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    argv = [sys.executable, "-m", "calldesk.cli", "serve", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(argv, cwd=OPTIONS.code, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        http = HTTPConnection("127.0.0.1", port, timeout=60)

        def walk(period: dict[str, str] | None, count: int) -> tuple[int, float]:
            cursor, rows, parsing = "", 0, 0.0
            for _ in range(count):
                query = {**(period or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
                http.request("GET", f"/api/reports?{urlencode(query)}", headers=headers)
                answer = http.getresponse()
                body = answer.read()
                assert answer.status == 200, body[:300]
                started = time.perf_counter()
                page = json.loads(body)
                parsing += time.perf_counter() - started
                rows, cursor = rows + len(page["items"]), page["next"]
                if not cursor:
                    break
            return rows, parsing

        if export_rows:
            # The export: one answer, read as it comes and each line parsed while the server
            # writes the next ones (the client's work overlaps the server's, unlike a walk's).
            query = urlencode({"from": newest_day(org, export_rows)})
            before = peak = group_rss_mb(server.pid)
            started = time.perf_counter()
            http.request("GET", f"/api/reports/export?{query}", headers=headers)
            answer = http.getresponse()
            assert answer.status == 200, answer.read()[:300]
            rows, rest, looked = 0, b"", started
            while chunk := answer.read1(1 << 16):
                *lines, rest = (rest + chunk).split(b"\n")
                rows += len([json.loads(line) for line in lines])
                if time.perf_counter() - looked > 0.5:  # now and then: reading /proc is not free
                    peak, looked = max(peak, group_rss_mb(server.pid)), time.perf_counter()
            elapsed = time.perf_counter() - started
            print(
                f"{'API  served, export':<30} {rows:>9,} rows {'':13} {elapsed:6.2f} s  {rows / elapsed:>9,.0f} rows/s"
                f"  server's RSS {before:.0f} MB before, {peak:.0f} MB at most while sent",
                flush=True,
            )
        for period in periods:
            walk(period, 40)  # each of the 16 threads' connections prepares the page's statement
            started = time.perf_counter()
            rows, parsing = walk(period, pages)
            elapsed = time.perf_counter() - started
            label = f"API  served, {'from ' + period['from'] if period else 'every report'}"
            print(
                f"{label:<30} {rows:>9,} rows ({limit} a page)  {elapsed:6.2f} s  {rows / elapsed:>9,.0f} rows/s"
                f"  ({parsing / elapsed:.0%} of it the client's parsing)",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def timed(label: str, fetch: Callable[[], object], runs: int) -> None:
    fetch()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fetch()
        samples.append(time.perf_counter() - started)
    p95 = sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]
    print(f"{label:<28} median {statistics.median(samples) * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms  ({runs} runs)")


def once(label: str, fetch: Callable[[], object]) -> None:
    started = time.perf_counter()
    fetch()
    print(f"{label:<28} {(time.perf_counter() - started) * 1000:7.0f} ms (once)")


def forget_kept_days(org: Organization) -> int | None:
    """Deletes the dashboards' kept days (rollup) of the organization: how many; None for code
    from before the rollup."""
    try:
        from calldesk.dashboards.models import DayCounts
    except ImportError:
        return None
    return DayCounts.objects.filter(organization=org).delete()[0]


def changing_one_day(org: Organization, fetch: Callable[[], object]) -> Callable[[], object]:
    """Before each view, one report of a settled day changes (its call type flips), as a
    supervisor's correction or a late hang-up would: that day is counted again."""
    old = list(
        CallReport.objects.filter(organization=org, call_start__lt=timezone.now() - timedelta(days=30))
        .order_by("?")
        .values_list("pk", "call_type")[:50]
    )

    def changed() -> object:
        pk, call_type = old.pop()
        CallReport.objects.filter(pk=pk).update(call_type=call_type + "x")
        try:
            return fetch()
        finally:
            CallReport.objects.filter(pk=pk).update(call_type=call_type)

    return changed


def page(client: Client, url: str) -> Callable[[], object]:
    def fetch() -> object:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return fetch


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    org = Organization.objects.get(slug=OPTIONS.org)
    supervisor = User.objects.filter(organization=org, role__in=[Role.SUPERVISOR, Role.ADMIN]).order_by("pk").first()
    assert supervisor is not None
    total = CallReport.objects.filter(organization=org).count()
    print(f"code {OPTIONS.code}; organization {org.slug}: {total:,} reports")
    print(f"database {connection.settings_dict['NAME']}")
    print(f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    client = Client()
    client.force_login(supervisor)
    # Warm: the first request of a process loads code, templates and the database connection.
    for fmt in ("csv", "xlsx"):
        assert b"".join(client.get(f"/reports/?status=any&from={newest_day(org, 10)}&export={fmt}").streaming_content)
    only = set(OPTIONS.only.split(","))
    for _ in range(OPTIONS.repeat):
        if "csv" in only:
            export(client, org, "csv", OPTIONS.csv_rows)
        if "xlsx" in only:
            export(client, org, "xlsx", OPTIONS.xlsx_rows)
        # An export job's walk: the period that holds the pages' reports.
        period = {"from": newest_day(org, OPTIONS.api_pages * 200)}
        if "api" in only:
            api_paging(org, OPTIONS.api_pages)
            api_paging(org, OPTIONS.api_pages, period=period)
        if "api-export" in only:
            api_export(org, OPTIONS.csv_rows)
        if "served" in only:
            served_paging(org, OPTIONS.api_pages, [None, period], OPTIONS.csv_rows if "api-export" in only else 0)
    if "dashboard" in only or "dashboard-30" in only:
        today = timezone.localdate(timezone=org.zone)
        year = page(client, f"/dashboards/?from={today - timedelta(days=364)}")
        kept = forget_kept_days(org)
        if kept is not None and "dashboard-30" not in only:
            once("dashboard, 365 days, nothing kept", year)
        timed("dashboard, 30 days", page(client, "/dashboards/"), OPTIONS.runs)
        if "dashboard-30" not in only:
            timed("dashboard, 365 days", year, OPTIONS.runs)
            if kept is not None:
                timed("365 days, a settled day changed", changing_one_day(org, year), OPTIONS.runs)
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
