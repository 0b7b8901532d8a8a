"""Imminent-risk benchmark: a specialist raises risk in the editor (POST /risk/reports/<id>/raise)
-> every supervisor's console has the alert on its stream (/console/events).

One `calldesk serve` (2 workers) on a scratch SQLite database, the database channel (default) or
Redis (--channel redis); --consoles supervisors' streams held open (each its own logged-in
session); --raises raises one after the other, each on a new call's draft. Per raise: the time
until the first console and until the LAST console had the alert; p50/p95 over the raises.

Usage:  .venv/bin/python bench/risk_bench.py [--consoles 20] [--raises 50] [--channel database|redis]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import django
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
django.setup()  # the test helpers below import models

from tests.cast import PASSWORD  # noqa: E402
from tests.push_servers import Serve, environment, make_cast, run_cli, unique_channel  # noqa: E402
from tests.server_process import login  # noqa: E402

SUPERVISORS = (
    "from tests.cast import make_user; from calldesk.accounts.models import Organization, Role; "
    "org = Organization.objects.get(slug='lifeline'); "
    "[make_user(org, f'sup{i}@lifeline.example', Role.SUPERVISOR, name=f'Sup {i}') for i in range({n})]"
)


class TimedReader:
    """A console's stream in a thread: each risk event with the moment it arrived."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.arrived: dict[str, float] = {}
        self.opened = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.opened.wait(20), "the stream did not answer"

    def _read(self) -> None:
        try:
            with self.client.stream("GET", "/console/events", timeout=None) as answer:
                assert answer.status_code == 200, answer.status_code
                self.opened.set()
                kind = ""
                for line in answer.iter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "risk":
                        data: dict[str, Any] = json.loads(line[6:])
                        if data.get("state") == "raised":
                            self.arrived.setdefault(data["risk"], time.monotonic())
        except httpx.HTTPError:
            self.opened.set()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--consoles", type=int, default=20)
    parser.add_argument("--raises", type=int, default=50)
    parser.add_argument("--channel", choices=["database", "redis"], default="database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        channel = unique_channel() if args.channel == "redis" else None
        env = environment(f"sqlite:///{folder}/risk.sqlite3", channel)
        run_cli(env, "migrate", "-v0")
        make_cast(env)
        run_cli(env, "shell", "-c", SUPERVISORS.replace("{n}", str(args.consoles)))
        serve = Serve(env, Path(folder) / "serve.log")
        serve.start()
        try:
            readers = []
            for i in range(args.consoles):
                client = httpx.Client(base_url=serve.url, timeout=10)
                login(client, f"sup{i}@lifeline.example", PASSWORD)
                readers.append(TimedReader(client))
            specialist = httpx.Client(base_url=serve.url, timeout=10)
            login(specialist, "sam@lifeline.example", PASSWORD)
            known: set[str] = set()
            first: list[float] = []
            last: list[float] = []
            for n in range(args.raises):
                pop = f"/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=99955{n:05d}&dnis=8886201111"
                editor = specialist.get(pop, follow_redirects=True)
                report = re.search(r"/risk/reports/([0-9a-f-]{36})/raise", editor.text)
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', editor.text)
                assert report and token, editor.text[:500]
                started = time.monotonic()
                answer = specialist.post(
                    f"/risk/reports/{report.group(1)}/raise",
                    headers={"Accept": "application/json", "X-CSRFToken": token.group(1)},
                )
                assert answer.status_code == 200, answer.text[:300]
                deadline = time.monotonic() + 20
                while True:
                    # This raise's risk event: the one the first console got that no earlier raise made.
                    fresh = set(readers[0].arrived) - known
                    if fresh and all(next(iter(fresh)) in reader.arrived for reader in readers):
                        break
                    assert time.monotonic() < deadline, "not every console was alerted within 20 s"
                    time.sleep(0.002)
                risk_id = next(iter(fresh))
                known.add(risk_id)
                seen = [reader.arrived for reader in readers]
                times = [s[risk_id] - started for s in seen]
                first.append(min(times))
                last.append(max(times))
            print(f"{args.raises} raises, {args.consoles} supervisors' consoles, {args.channel} channel")
            for name, values in (("first console alerted", first), ("every console alerted", last)):
                print(
                    f"  {name}: p50 {statistics.median(values) * 1000:.0f} ms,"
                    f" p95 {percentile(values, 0.95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
                )
        finally:
            serve.stop()


if __name__ == "__main__":
    main()
