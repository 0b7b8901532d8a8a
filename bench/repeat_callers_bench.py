"""Repeat-caller lookup benchmark (issue 3) on PostgreSQL: the editor's "earlier calls" box.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/calldesk_bench \\
        .venv/bin/python bench/generate.py --form 1234567            # 1,000,000 reports, once
    DATABASE_URL=... .venv/bin/python bench/repeat_callers_bench.py [--org acme] [--sample 300] [--repeat 2]

Times `calldesk.reports.history.earlier_calls(user, report)` (the count and the latest 10, with
the agent, as the editor page runs it) for a few hundred caller numbers: the most frequent callers,
numbers drawn per call (a frequent caller is looked up as often as they call) and numbers drawn
per caller (most call once or twice). Prints p50/p99/max per group (target: under 10 ms) and the
EXPLAIN ANALYZE of both queries for the most frequent and a one-time caller, checking that they use
report_repeat_caller_idx. Phone numbers are never printed (plans show them masked).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from calldesk.accounts.models import Organization, Role, User  # noqa: E402
from calldesk.reports.history import earlier_calls  # noqa: E402
from calldesk.reports.models import CallReport  # noqa: E402

INDEX = "report_repeat_caller_idx"
TARGET_MS = 10.0
FREQUENT = 20  # the top callers, all of them


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def table_state() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum, last_autovacuum, n_live_tup FROM pg_stat_user_tables WHERE relname = %s",
            [CallReport._meta.db_table],
        )
        vacuumed, autovacuumed, live = cursor.fetchone()
        cursor.execute("SELECT relallvisible, relpages FROM pg_class WHERE relname = %s", [CallReport._meta.db_table])
        visible, pages = cursor.fetchone()
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    return (
        f"~{live:,} live rows, {visible:,}/{pages:,} pages all-visible, "
        f"last vacuum {vacuumed or autovacuumed or 'never'}, autovacuum {autovacuum}"
    )


def latest_report(org: Organization, phone: str) -> int:
    """`phone`: the number's keyed hash, as the lookup uses it (the number itself is sealed)."""
    return (
        CallReport.objects.filter(organization=org, phone_hash=phone)
        .order_by("-call_start")
        .values_list("id", flat=True)[0]
    )


def samples(org: Organization, size: int, rng: random.Random) -> tuple[dict[str, list[int]], int]:
    """Report ids to look up, in groups (each report stands for the draft a call just opened),
    and a one-time caller's report."""
    per_number = list(
        CallReport.objects.filter(organization=org)
        .exclude(phone_hash="")
        .values("phone_hash")
        .annotate(calls=Count("id"))
        .order_by("-calls")
        .values_list("phone_hash", "calls")
    )
    numbers = [n for n, _ in per_number]
    weights = [c for _, c in per_number]
    chosen = {
        f"top {FREQUENT} callers": numbers[:FREQUENT],
        "per call (as the editor sees them)": rng.choices(numbers, weights=weights, k=(size - FREQUENT) // 2),
        "per caller (mostly rare)": rng.sample(numbers, k=(size - FREQUENT) // 2),
    }
    groups: dict[str, list[int]] = {}
    for name, phones in chosen.items():
        groups[name] = [latest_report(org, phone) for phone in phones]
    once = sum(1 for c in weights if c == 1)
    print(
        f"{len(numbers):,} different numbers; the most frequent called {weights[0]:,} times, "
        f"the 20th {weights[min(19, len(weights) - 1)]:,}; {once:,} called once"
    )
    return groups, latest_report(org, numbers[-1])


def database_ms(user: User, report: CallReport) -> float:
    """The database's own time for the lookup's queries (EXPLAIN ANALYZE execution time, timing
    off): what the index decides, apart from Python and from waiting for a CPU on a busy machine."""
    with CaptureQueriesContext(connection) as captured:
        earlier_calls(user, report)
    total = 0.0
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + query["sql"])
            plan = cursor.fetchone()[0]
            total += (plan if isinstance(plan, list) else json.loads(plan))[0]["Execution Time"]
    return total


@dataclass
class Lookups:
    wall_ms: list[float]
    cpu_ms: list[float]  # this process's CPU: Python and the ORM, without waiting
    database_ms: list[float]
    found: list[int]


def measure(user: User, report_ids: list[int]) -> Lookups:
    """Wall time of earlier_calls per report (the report itself is loaded outside the timing, as
    the editor view has it already), then the database's share of it."""
    reports = CallReport.objects.in_bulk(report_ids)
    done = Lookups([], [], [], [])
    for report_id in report_ids:
        report = reports[report_id]
        started, cpu = time.perf_counter(), time.process_time()
        found = earlier_calls(user, report)
        done.wall_ms.append((time.perf_counter() - started) * 1000)
        done.cpu_ms.append((time.process_time() - cpu) * 1000)
        done.found.append(found.count)
        done.database_ms.append(database_ms(user, report))
    return done


def explain(user: User, report: CallReport, label: str) -> bool:
    """EXPLAIN ANALYZE of the lookup's queries; True if each one uses the index."""
    with CaptureQueriesContext(connection) as captured:
        earlier_calls(user, report)
    all_use_index = True
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        uses = INDEX in plan
        all_use_index &= uses
        print(f"\n-- {label}: {'uses' if uses else 'DOES NOT use'} {INDEX}")
        print(re.sub(r"'[0-9a-f]{32}'", "'…'", plan))  # not even the number's hash in the output
    return all_use_index


def figures(values: list[float]) -> str:
    return f"{percentile(values, 0.5):>7.2f} {percentile(values, 0.99):>7.2f} {max(values):>7.2f}"


def run(label: str, user: User, report_ids: list[int]) -> Lookups:
    before = loadavg()
    done = measure(user, report_ids)
    verdict = "ok" if percentile(done.wall_ms, 0.99) < TARGET_MS else "MISSED"
    print(
        f"{label:<34} {len(done.wall_ms):>5}  {figures(done.wall_ms)} {percentile(done.cpu_ms, 0.5):>5.2f}  "
        f"{figures(done.database_ms)} "
        f"{max(done.found):>9,}  {before:4.1f} -> {loadavg():4.1f}  {verdict}",
        flush=True,
    )
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", default="acme", help="organization slug (default acme, generate.py's default)")
    parser.add_argument("--sample", type=int, default=300, help="lookups per run (default 300)")
    parser.add_argument("--repeat", type=int, default=2, help="runs (default 2)")
    parser.add_argument("--vacuum", action=argparse.BooleanOptionalAction, default=True,
                        help="VACUUM ANALYZE the reports first, as autovacuum would have (default on)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark is about PostgreSQL.")
    org = Organization.objects.filter(slug=args.org).first()
    if org is None:
        sys.exit(f"no organization {args.org!r}: fill one with bench/generate.py first")
    total = CallReport.objects.filter(organization=org).count()
    print(f"organization {org.slug}: {total:,} reports in {connection.settings_dict['NAME']}")
    if args.vacuum:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f'VACUUM (ANALYZE) "{CallReport._meta.db_table}"')
        print(f"VACUUM (ANALYZE) reports in {time.perf_counter() - started:.0f} s")
    print(f"table: {table_state()}")
    specialist = User.objects.filter(organization=org, role=Role.SPECIALIST, is_active=True).order_by("id").first()
    assert specialist is not None
    groups, rarest = samples(org, args.sample, random.Random(args.seed))

    every = [i for ids in groups.values() for i in ids]
    measure(specialist, every[:20])  # warm: connection, plans, the index's upper pages
    print(
        f"\n{'':<34} {'':>5}  {'wall time (ms)':^23} {'CPU':>5}  {'database time (ms)':^23}\n"
        f"{'earlier_calls(user, report)':<34} {'count':>5}  {'p50':>7} {'p99':>7} {'max':>7} {'p50':>5}  "
        f"{'p50':>7} {'p99':>7} "
        f"{'max':>7} {'max found':>9}  load average"
    )
    for run_number in range(1, args.repeat + 1):
        wall: list[float] = []
        database: list[float] = []
        for name, ids in groups.items():
            done = run(f"run {run_number}: {name}", specialist, ids)
            wall += done.wall_ms
            database += done.database_ms
        print(
            f"run {run_number}, all {len(wall)} lookups: wall p50 {percentile(wall, 0.5):.2f} ms, "
            f"p99 {percentile(wall, 0.99):.2f} ms, max {max(wall):.2f} ms "
            f"({'ok' if percentile(wall, 0.99) < TARGET_MS else 'MISSED'}, target < {TARGET_MS:.0f} ms); "
            f"database p99 {percentile(database, 0.99):.2f} ms\n"
        )
    top = CallReport.objects.get(id=groups[f"top {FREQUENT} callers"][0])
    once = CallReport.objects.get(id=rarest)
    ok = explain(specialist, top, "the most frequent caller") & explain(specialist, once, "a one-time caller")
    print(f"\nindex {INDEX} used by every query: {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
