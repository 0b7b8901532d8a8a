"""The resource directory: import time and rows/s of a generated HSDS directory, and search
latency (p50/p95) for 20 named queries, on SQLite and PostgreSQL.

    .venv/bin/python bench/resources_bench.py          # 50,000 services, 80,000 locations, 9,000 terms
    .venv/bin/python bench/resources_bench.py --services 10000 --locations 16000 --terms 2000 --repeat 20
    .venv/bin/python bench/resources_bench.py --databases sqlite               # one database
    .venv/bin/python bench/resources_bench.py --keep /tmp/resources-bench      # import once, search again later

Each database is made fresh unless `--keep FOLDER` names where to keep them: then a directory
already imported there (same sizes) is migrated and searched again without a new import
(`--reindex` rebuilds its search index too); the PostgreSQL database is then named after the sizes.

Made fresh, each database is new (SQLite under a temporary folder; PostgreSQL `--pg-url`, **dropped and
recreated**, then ANALYZE). The directory is written as a datapackage by
calldesk.resources.generate and imported by the same code as `calldesk resources import`
(read and checked by frictionless, written, search index built). Every query then runs once to
warm up and `--repeat` times measured, in process (no HTTP), as the editor's resource panel runs it,
with the number of SQL queries it made. "Open now" is asked at a fixed time (a Tuesday noon in
the organization's zone) so that runs on different days compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

TARGET_P95_MS = 100.0
TUESDAY_NOON = "2026-12-08T18:00:00+00:00"  # noon in America/Chicago


def named_queries(term_ids: dict[str, str]) -> list[tuple[str, dict]]:
    """20 queries a specialist types: words, typos, a term, a place, open now, combinations."""
    return [
        ("word: food", {"words": "food"}),
        ("word: shelter", {"words": "shelter"}),
        ("two words: legal clinic", {"words": "legal clinic"}),
        ("accents: clínica", {"words": "clínica"}),
        ("typo: sheltr", {"words": "sheltr"}),
        ("typo: counselling", {"words": "counselling"}),
        ("prefix: couns", {"words": "couns"}),
        ("description: groceries parcels", {"words": "groceries parcels"}),
        ("nothing: zeppelin", {"words": "zeppelin"}),
        ("term: food pantries (and below)", {"term_id": term_ids["BD-1800"]}),
        ("term: legal aid (and below)", {"term_id": term_ids["FT-3000"]}),
        ("near postcode 62701, 5 km", {"place": "62701", "radius_km": 5}),
        ("near a point, 2 km", {"latitude": 40.6936, "longitude": -89.5890, "radius_km": 2}),
        ("open now", {"open_now": True}),
        ("language: es", {"language": "es"}),
        ("food near 62701", {"words": "food", "place": "62701", "radius_km": 10}),
        ("term near 61602", {"term_id": term_ids["BH-1800"], "place": "61602", "radius_km": 10}),
        ("shelter open now", {"words": "shelter", "open_now": True}),
        ("counseling in Spanish near 61820", {"words": "counseling", "language": "es", "place": "61820"}),
        ("housing, inactive too", {"words": "housing", "active_only": False}),
    ]


def child(args: argparse.Namespace) -> None:
    """Runs with DATABASE_URL set: migrate, import, search; prints one JSON line."""
    import datetime as dt
    import uuid

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from calldesk.accounts.models import Organization
    from calldesk.resources import generate, services
    from calldesk.resources import search as search_module
    from calldesk.resources.models import TaxonomyTerm
    from calldesk.resources.search import Query, search

    call_command("migrate", verbosity=0)
    owner = Organization.objects.filter(slug="bench").first()
    generated = imported = 0.0
    if owner is None:
        owner = Organization.objects.create(slug="bench", name="Bench 211", time_zone="America/Chicago")
        with tempfile.TemporaryDirectory(prefix="resources-bench-") as folder:
            started = time.perf_counter()
            rows = generate.make_directory(args.services, args.locations, args.terms, seed=11)
            package = generate.write_datapackage(rows, Path(folder))
            generated = time.perf_counter() - started
            total_rows = sum(len(r) for r in rows.values())
            started = time.perf_counter()
            services.import_directory(owner, package)
            imported = time.perf_counter() - started
    else:
        total_rows = 0
        if args.reindex:
            from django.db import transaction

            with transaction.atomic():
                search_module.rebuild_index(owner)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    term_ids = {
        code: str(tid)
        for code, tid in TaxonomyTerm.objects.filter(owner=owner, parent_id=None).values_list("code", "id")
    }
    results = []
    for label, params in named_queries(term_ids):
        if "term_id" in params:
            params = {**params, "term_id": uuid.UUID(params["term_id"])}
        if params.get("open_now"):
            params = {**params, "at": dt.datetime.fromisoformat(TUESDAY_NOON)}
        query = Query(**params)
        with CaptureQueriesContext(connection) as queries:
            found = len(search(owner, query).hits)  # warm-up, the result count and the queries made
        times, cpu = [], []
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            search(owner, query)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        results.append(
            {
                "query": label,
                "shown": found,
                "sql": len(queries.captured_queries),
                "p50_ms": statistics.median(times),
                "p95_ms": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                # This process's CPU (SQLite's work included, PostgreSQL's backend not): what a busy
                # machine's waiting does not inflate.
                "cpu_p50_ms": statistics.median(cpu),
            }
        )
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "rows": total_rows,
                "generate_s": generated,
                "import_s": imported,
                "rows_per_s": total_rows / imported if imported else 0.0,
                "queries": results,
            }
        )
    )


def fresh(kind: str, pg_url: str, folder: Path, keep: str) -> str:
    """The database's URL: new, or (with --keep) the one kept for these sizes, made if missing."""
    if kind == "sqlite":
        return f"sqlite:///{folder / f'resources-bench-{keep}.sqlite3'}"
    import psycopg

    base, name = pg_url.rsplit("/", 1)
    if keep:
        name = f"{name}_{keep}"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not keep or not exists:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=80_000)
    parser.add_argument("--terms", type=int, default=9_000)
    parser.add_argument("--repeat", type=int, default=20, help="measured runs of each query (default 20)")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/calldesk_resources_bench")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON too")
    parser.add_argument("--keep", metavar="FOLDER", help="keep the databases (SQLite in FOLDER) and reuse them")
    parser.add_argument("--reindex", action="store_true", help="with --keep: rebuild the kept directory's search index")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"directory: {args.services:,} services, {args.locations:,} locations, {args.terms:,} terms")
    figures = []
    for kind in args.databases.split(","):
        keep = f"{args.services}_{args.locations}_{args.terms}" if args.keep else ""
        with tempfile.TemporaryDirectory(prefix="resources-bench-db-") as scratch:
            folder = args.keep or scratch
            Path(folder).mkdir(parents=True, exist_ok=True)
            env = {
                **os.environ,
                "DATABASE_URL": fresh(kind, args.pg_url, Path(folder), keep),
                "CALLDESK_VAR_DIR": scratch,
                "DEBUG": "false",
            }
            command = [sys.executable, __file__, "--child", *sys.argv[1:]]
            output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        figures.append(result)
        if result["import_s"]:
            print(
                f"\n== {result['database']}: import {result['rows']:,} rows in {result['import_s']:.1f} s "
                f"({result['rows_per_s']:,.0f} rows/s; generating the files took {result['generate_s']:.1f} s)"
            )
        else:
            print(f"\n== {result['database']}: the kept directory")
        print(f"{'query':40} {'shown':>6} {'SQL':>4} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8}")
        for q in result["queries"]:
            flag = "" if q["p95_ms"] < TARGET_P95_MS else "  over target"
            print(
                f"{q['query']:40} {q['shown']:>6} {q['sql']:>4} {q['p50_ms']:>8.1f} {q['p95_ms']:>8.1f} "
                f"{q['cpu_p50_ms']:>8.1f}{flag}"
            )
        every = sorted(q["p95_ms"] for q in result["queries"])
        print(
            f"worst p95 {every[-1]:.1f} ms; queries over {TARGET_P95_MS:.0f} ms: "
            f"{sum(1 for p in every if p >= TARGET_P95_MS)} of {len(every)}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
