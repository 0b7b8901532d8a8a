"""The pop of a caller with a profile and 3 alerts against the pop of one without (target: at
most 10 % more), in this process through Django's WSGI handler like bench/inprocess.py.

    .venv/bin/python bench/caller_profile_bench.py                      # SQLite and PostgreSQL
    .venv/bin/python bench/caller_profile_bench.py --databases sqlite --ops 300
    .venv/bin/python bench/caller_profile_bench.py --pg-url postgres://postgres@127.0.0.1:5432/calldesk_callers_bench

Each database is made afresh (the demo organization, as bench/screenpop.py sets it up). Both
callers call from one number each, every pop a new call time, so both build the same history
of earlier calls; the two kinds of pops alternate in rounds so that the machine's load falls on
both alike. A pop is the telephony URL's 303 and the editor's page, whose caller panel reads the
profile, its alerts and its block. Prints CPU per pop (this process, and PostgreSQL's backend),
SQL queries per pop and the ratio. The numbers themselves are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import FORM, fresh_database, setup_database

WITH, WITHOUT = "2125550147", "6465550123"
TARGET = 1.10


def target(rng: random.Random, ani: str) -> str:
    start = datetime.now(UTC) - timedelta(seconds=rng.randint(0, 86_400), microseconds=rng.randint(0, 999_999))
    return f"/Telephony/GetCallReport?reportVer={FORM}&ani={ani}&callStart={quote(start.isoformat())}"


def child(ops: int, rounds: int) -> None:
    setup_database(2)
    from django.core.management import call_command
    from django.utils import timezone

    call_command("collectstatic", interactive=False, verbosity=0)  # as `calldesk serve` does

    from calldesk.accounts.models import Role, User
    from calldesk.callers import services

    organization = User.objects.get(email="specialist0@bench.example").organization
    supervisor = User.objects.filter(organization=organization, role__in=[Role.SUPERVISOR, Role.ADMIN]).first()
    assert supervisor is not None
    profile, _ = services.create_profile(supervisor, "+12125550147")
    services.update_profile(supervisor, profile, "Jo", "Speak slowly; offer the text line.")
    services.add_alert(supervisor, profile, "Safety plan on file")
    services.add_alert(supervisor, profile, "Call-time limit 10 min", timezone.now() + timedelta(days=30))
    services.add_alert(supervisor, profile, "Do not discuss the former partner")

    from django.core.wsgi import get_wsgi_application
    from inprocess import Browser, Callgrind, Measured, measure

    app = get_wsgi_application()
    browser = Browser(app)
    browser.login("specialist0@bench.example")
    rng = random.Random(7)
    page = browser.pop(target(rng, WITH)).decode()
    assert page.count("Safety plan on file") == 1 and 'id="caller-alerts"' in page, "the profile's alerts show"
    assert 'id="caller-alerts"' not in browser.pop(target(rng, WITHOUT)).decode()
    totals: dict[str, list[Measured]] = {"without": [], "with": []}
    per_round = max(ops // rounds, 1)
    for _ in range(rounds):
        for name, ani in (("without", WITHOUT), ("with", WITH)):
            totals[name].append(measure(name, lambda a=ani: browser.pop(target(rng, a)), per_round, Callgrind(None), 0))
    for name, runs in totals.items():
        count = sum(run.ops for run in runs)
        print(
            json.dumps(
                {
                    "path": name,
                    "ops": count,
                    "cpu_ms": sum(run.cpu_ms * run.ops for run in runs) / count,
                    "db_cpu_ms": sum(run.db_cpu_ms * run.ops for run in runs) / count,
                    "queries": sum(run.queries * run.ops for run in runs) / count,
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/cd_i17_callers_bench")
    parser.add_argument("--ops", type=int, default=300, help="pops measured per kind")
    parser.add_argument("--rounds", type=int, default=6, help="alternations of the two kinds")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.ops, args.rounds)
        return
    failed = False
    with tempfile.TemporaryDirectory() as workdir:
        for kind in args.databases.split(","):
            url = fresh_database(kind, args.pg_url, Path(workdir))
            env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
            env.setdefault("CALLDESK_KEY_FILE", str(Path(workdir) / "keys.json"))
            done = subprocess.run(
                [sys.executable, __file__, "--child", "--ops", str(args.ops), "--rounds", str(args.rounds)],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(f"{kind}: the measuring process failed:\n{done.stderr[-3000:]}")
            rows = {row["path"]: row for row in map(json.loads, done.stdout.split("\n")[:-1] if done.stdout else [])}
            for name, label in (("without", "pop, no profile"), ("with", "pop, profile + 3 alerts")):
                row = rows[name]
                print(
                    f"{kind:8} {label:26} {row['cpu_ms']:6.2f} ms CPU {row['db_cpu_ms']:6.2f} ms DB "
                    f"{row['queries']:5.1f} queries ({row['ops']} pops)"
                )
            before = rows["without"]["cpu_ms"] + rows["without"]["db_cpu_ms"]
            after = rows["with"]["cpu_ms"] + rows["with"]["db_cpu_ms"]
            ratio = after / before
            verdict = "ok" if ratio <= TARGET else "MISSED"
            failed |= ratio > TARGET
            print(f"{kind:8} with / without: {ratio:.3f}x CPU ({verdict}, target <= {TARGET:.2f}x)")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
