"""In-process CPU per request of the screen pop and the autosave (issue 12: sealing caller data
must keep them within 10 % of before).

    .venv/bin/python bench/request_cost_bench.py [--database sqlite|postgres] [--requests 400] [--rounds 5]

Runs Django's test client in this process against a fresh database (SQLite under a temporary
directory, or `--pg-url`, dropped and recreated), with `calldesk demo` loaded: for each round,
`--requests` screen pops (`GET /Telephony/GetCallReport?reportVer=1234567&agent=…&ani=…&dnis=…
&language=…&name=…`, each a new caller, answered 303), the editor page of each draft (200, with
its repeat-caller box), and as many autosaves (`POST /reports/<id>/save` with the caller's name
and notes typed, personal fields of the demo form, answered 200). It prints the CPU time
(`time.process_time`: this process, so SQLite's work is counted, PostgreSQL's server is not)
per request: median and best round. CPU time, unlike latency, is little changed by other work
on the machine, which is what makes two runs comparable. To compare two versions of the code,
run this same file from each checkout (it imports the calldesk beside it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(database: str, pg_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "calldesk.settings"
    os.environ["CALLDESK_PLAIN_STATIC"] = "1"
    os.environ["AXES_ENABLED"] = "false"
    if database == "postgres":
        import psycopg

        admin, name = pg_url.rsplit("/", 1)
        with psycopg.connect(admin.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = pg_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=open(os.devnull, "w"))


def run(requests: int, round_no: int) -> tuple[float, float, float]:
    from django.test import Client

    from calldesk.accounts.models import User
    from calldesk.reports.models import CallReport

    client = Client()
    client.force_login(User.objects.get(email="bob@acme.com"))
    ids: list[str] = []
    pop_cpu = edit_cpu = save_cpu = 0.0
    for i in range(requests):
        url = (
            "/Telephony/GetCallReport?reportVer=1234567&agent=bob%40acme.com"
            f"&ani=212555{round_no % 10}{i:04d}&dnis=8886201111&language=112211&name=Caller+{i}"
        )
        start = time.process_time()
        response = client.get(url)
        pop_cpu += time.process_time() - start
        assert response.status_code == 303, response.status_code
        ids.append(response["Location"].strip("/").split("/")[-1])
    for public_id in ids:
        start = time.process_time()
        response = client.get(f"/reports/{public_id}/")
        edit_cpu += time.process_time() - start
        assert response.status_code == 200, response.status_code
    for n, public_id in enumerate(ids):
        report = CallReport.objects.get(public_id=public_id)
        data = {
            "version": report.version,
            "agent": "",
            "call_start": "2026-01-05T10:00:00",
            "phone": report.phone_raw,
            "call_type": report.call_type,
            "f_language": "Spanish",
            "f_incoming_line": "Main line",
            "f_dialled_number": "8886201111",
            "f_caller_name": f"Caller number {n}",
            "f_notes": f"Worried about rent and the landlord; call back on Tuesday ({n})",
            "f_referrals": "County housing office",
            "f_needs": "Food",
        }
        start = time.process_time()
        response = client.post(f"/reports/{public_id}/save", data, HTTP_ACCEPT="application/json")
        save_cpu += time.process_time() - start
        assert response.status_code == 200, response.content[:300]
    return pop_cpu / requests * 1000, edit_cpu / requests * 1000, save_cpu / requests * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/calldesk_request_cost")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup(args.database, args.pg_url)
    run(50, 9)  # warm-up: imports, template compilation, caches
    rounds = [run(args.requests, n) for n in range(args.rounds)]
    load = Path("/proc/loadavg").read_text().split()[0]
    import calldesk

    where = Path(calldesk.__file__).parent
    print(f"{where}: {args.database}, {args.requests} requests x {args.rounds} rounds, load average {load}")
    for name, column in (("screen pop (GetCallReport)", 0), ("editor page", 1), ("autosave", 2)):
        figures = [r[column] for r in rounds]
        print(f"  {name:<28} CPU ms/request: median {statistics.median(figures):.3f}, best {min(figures):.3f}")


if __name__ == "__main__":
    main()
