"""Issue 19's table at the size the database holds now, kept by size and drawn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/calldesk_scale CALLDESK_VAR_DIR=... \\
        .venv/bin/python bench/generate.py --count 1000000                  # then 2 M, 5 M ...
    DATABASE_URL=... .venv/bin/python bench/scale_bench.py --org acme \\
        --results docs/scale.json --svg docs/scale.svg

Runs each operation of the issue's table as the organization's supervisor (a pop as its
specialist) through Django's test client: middleware, view, queries and template, no network.
Pages: a warm-up, then --runs times; median and p95 (the 30-day dashboard also as it is before
noon in the organization's zone, when yesterday is still counted live). Exports and the API: rows per second of a
month's reports. The pop of the caller with the most earlier calls is timed against a first-time
caller's, alternating. The figures are added to --results under the organization's report count,
and --svg is drawn again from every size there: one panel per operation, p95 against reports,
a power law t = a·n^b fitted through the sizes measured and carried to 10 M beside the target.
Numbers and names typed in searches are never printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reports_bench
from common import export_reports_api, walk_reports_api
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from calldesk.accounts.models import Role, User
from calldesk.audit.models import AccessEvent
from calldesk.dashboards import rollup
from calldesk.reports.models import CallReport

TEN_MILLION = 10_000_000
# (operation, target) as the issue states them: milliseconds at p95, or rows per second.
PAGE_TARGET, DASH_30, DASH_YEAR = 300.0, 500.0, 2000.0
RATE_TARGETS = {"CSV export, a month": 50_000.0, "XLSX export, a month": 20_000.0, "/api/reports paging": 20_000.0}
# An export job's other way to copy reports: one answer of JSON lines (same target as the walk).
RATE_TARGETS["/api/reports/export, a month"] = RATE_TARGETS["/api/reports paging"]
POP_RATIO_TARGET = 1.10
YESTERDAY_LIVE = "dashboard, 30 days, before noon"
# The searches of a personal field (reports_bench.personal_searches), as labelled here.
NAME_SEARCHES = {
    "a whole stored value, exactly": "name, a whole value exactly",
    "a surname, any case": "name, a surname in capitals",
    "'manu' (the start of a name)": "name, 'manu' (a start)",
    "'heal' (the start of a word)": "name, 'heal' (no match)",
}


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, round(0.95 * len(samples)) - 1)]


def timed(
    fetch: Callable[[], object], runs: int, during: AbstractContextManager[object] | None = None
) -> tuple[float, float]:
    """(median, p95) in milliseconds after one warm-up, all of it `during` a context if given."""
    with during or nullcontext():
        fetch()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            fetch()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), p95(samples)


@contextmanager
def yesterday_live(org: Any) -> Iterator[None]:
    """The dashboards as they are before noon in the organization's zone, whatever the time of
    this run: yesterday is not settled yet (dashboards.rollup.SETTLED_AFTER) and is counted from
    the reports with today. The 30-day dashboard's worst time of day."""
    settled_before = rollup.settled_before
    today = timezone.localdate(timezone=org.zone)
    if settled_before(org, timezone.now()) < today:  # it is before noon there: as it is
        yield
        return
    rollup.settled_before = lambda organization, now: today - timedelta(days=1)  # type: ignore[assignment]
    try:
        yield
    finally:
        rollup.settled_before = settled_before


def pages(org: Any, agent: Any) -> list[tuple[str, str, float]]:
    """(operation, URL, target ms): the issue's list, search and dashboard operations."""
    today = timezone.localdate(timezone=org.zone)
    month = f"from={today - timedelta(days=29)}&to={today}"
    listed = dict(reports_bench.list_queries(org, agent, month))
    choice = next(q for label, q in listed.items() if "+ status" in label)
    phone = listed["phone number as typed"]
    out = [
        ("list, default", "/reports/", PAGE_TARGET),
        ("list, 30 days", f"/reports/?{month}", PAGE_TARGET),
        ("list, a choice + status, 30 days", f"/reports/?{choice}", PAGE_TARGET),
        ("list, a phone number", f"/reports/?{phone}", PAGE_TARGET),
        ("list, page 200", "/reports/?page=200", PAGE_TARGET),
        ("list, page 500", "/reports/?page=500", PAGE_TARGET),
        ("sorted by agent", "/reports/?sort=agent", PAGE_TARGET),
        ("sorted by agent, page 200", "/reports/?sort=agent&page=200", PAGE_TARGET),
    ]
    key, searches = reports_bench.personal_searches(org)
    for what, typed in searches:
        if what in NAME_SEARCHES:
            out.append((NAME_SEARCHES[what], f"/reports/?f_{key}={quote(typed)}", PAGE_TARGET))
    out.append(("dashboard, 30 days", "/dashboards/", DASH_30))
    out.append(("dashboard, 365 days", f"/dashboards/?from={today - timedelta(days=364)}", DASH_YEAR))
    return out


def fill_audit(org: Any, events: int) -> int:
    """Adds access-log entries (by SQL) until the organization has `events`: a year of views,
    logins and searches by its people, one in twenty by a number. Returns how many it holds."""
    have = AccessEvent.objects.filter(organization=org).count()
    if have < events:
        started = time.perf_counter()
        people = list(User.objects.filter(organization=org).values_list("id", "email"))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_accessevent (at, organization_id, user_id, actor, action, report, phone_digest,"
                " address, details)"
                " SELECT now() - g * (interval '365 days' / %(n)s), %(org)s, (%(ids)s::bigint[])[1 + g %% %(people)s],"
                " (%(emails)s::text[])[1 + g %% %(people)s], (%(actions)s::text[])[1 + g %% 4], NULL,"
                " CASE WHEN g %% 20 = 0 THEN md5(g::text) ELSE '' END, '127.0.0.1', '{}'::jsonb"
                " FROM generate_series(1, %(n)s) g",
                {
                    "n": events - have,
                    "org": org.id,
                    "ids": [i for i, _ in people],
                    "emails": [e for _, e in people],
                    "people": len(people),
                    "actions": ["report.view", "report.view", "login", "phone.search"],
                },
            )
            cursor.execute("VACUUM ANALYZE audit_accessevent")  # no autovacuum here: the visibility map
        print(f"  added {events - have:,} access-log entries in {time.perf_counter() - started:.0f} s", flush=True)
    return max(have, events)


def export_rate(client: Client, url: str) -> tuple[float, float, int]:
    """(rows per second, rows per CPU second of this process, rows) of one export."""
    cpu, started = time.process_time(), time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    for _ in response.streaming_content:  # type: ignore[attr-defined]
        pass
    rows = int(response["X-Export-Rows"])
    return rows / (time.perf_counter() - started), rows / (time.process_time() - cpu), rows


def pop_ratio(org: Any, rounds: int) -> tuple[float, float, int]:
    """(median pop of the caller with the most earlier calls, of a first-time caller, in ms; the
    earlier calls). A pop is the telephony URL's redirect and the editor page it leads to."""
    top = (
        CallReport.objects.filter(organization=org)
        .exclude(phone_hash="")
        .values("phone_hash")  # the number itself is sealed: each row's ciphertext differs
        .annotate(calls=Count("id"))
        .order_by("-calls")
        .first()
    )
    assert top is not None
    number = CallReport.objects.filter(organization=org, phone_hash=top["phone_hash"]).first().phone_e164
    agent = reports_bench.existing(org.slug)[2]
    form = CallReport.objects.filter(organization=org).values_list("form__report_ver", flat=True).first()
    client = Client()
    client.force_login(agent)
    rng = random.Random(7)

    def pop(ani: str) -> float:
        start = datetime.now(UTC) - timedelta(seconds=rng.randint(0, 86_400), microseconds=rng.randint(0, 999_999))
        started = time.perf_counter()
        answer = client.get(
            f"/Telephony/GetCallReport?reportVer={form}&ani={quote(ani)}&callStart={quote(start.isoformat())}"
        )
        assert answer.status_code in (302, 303), answer.status_code
        assert client.get(answer["Location"]).status_code == 200
        return (time.perf_counter() - started) * 1000

    frequent, first = [], []
    pop(number)
    for _ in range(rounds):
        frequent.append(pop(number))
        first.append(pop(f"+1917{rng.randint(2000000, 9999999)}"))  # the 917 area code is not generated
    return statistics.median(frequent), statistics.median(first), top["calls"]


def measure(args: argparse.Namespace) -> dict[str, Any]:
    org, supervisor, agent = reports_bench.existing(args.org)
    total = CallReport.objects.filter(organization=org).count()
    print(
        f"organization {org.slug}: {total:,} reports ({CallReport.objects.count():,} in all); "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    client = Client()
    client.force_login(supervisor)
    figures: dict[str, Any] = {"reports": total, "at": datetime.now(UTC).isoformat(timespec="seconds"), "ops": {}}
    for label, url, target in pages(org, agent):
        median, high = timed(reports_bench.get(client, url), args.runs)
        figures["ops"][label] = {"median_ms": round(median, 1), "p95_ms": round(high, 1), "target_ms": target}
        verdict = "ok" if high < target else f"OVER {target:.0f} ms"
        print(f"  {label:<36} median {median:8.1f} ms  p95 {high:8.1f} ms  {verdict}", flush=True)
    median, high = timed(reports_bench.get(client, "/dashboards/"), args.runs, yesterday_live(org))
    figures["ops"][YESTERDAY_LIVE] = {"median_ms": round(median, 1), "p95_ms": round(high, 1), "target_ms": DASH_30}
    verdict = "ok" if high < DASH_30 else f"OVER {DASH_30:.0f} ms"
    print(f"  {YESTERDAY_LIVE:<36} median {median:8.1f} ms  p95 {high:8.1f} ms  {verdict}", flush=True)
    logged = fill_audit(org, args.audit_events)
    admin = User.objects.filter(organization=org, role=Role.ADMIN).order_by("pk").first()
    assert admin is not None, "an admin reads the access log"
    audit = Client()
    audit.force_login(admin)
    figures["audit_events"] = logged
    day = timezone.localdate(timezone=org.zone) - timedelta(days=40)
    for label, url in [
        ("access log", "/audit/"),
        ("access log, one person", f"/audit/?user={supervisor.public_id}"),
        ("access log, searches by number", "/audit/?action=phone.search"),
        ("access log, one day", f"/audit/?from={day}&to={day}"),
        ("access log, page 200", "/audit/?page=200"),
    ]:
        median, high = timed(reports_bench.get(audit, url), args.runs)
        figures["ops"][label] = {"median_ms": round(median, 1), "p95_ms": round(high, 1), "target_ms": PAGE_TARGET}
        verdict = "ok" if high < PAGE_TARGET else f"OVER {PAGE_TARGET:.0f} ms"
        print(f"  {label:<36} median {median:8.1f} ms  p95 {high:8.1f} ms  {verdict} ({logged:,} entries)", flush=True)
    today = timezone.localdate(timezone=org.zone)
    month = f"/reports/?status=any&from={today - timedelta(days=29)}&to={today}"
    for label, url in [
        ("CSV export, a month", f"{month}&export=csv"),
        ("XLSX export, a month", f"{month}&export=xlsx"),
    ]:
        export_rate(client, url.replace(f"from={today - timedelta(days=29)}", f"from={today}"))  # warm
        rate, per_cpu, rows = export_rate(client, url)
        figures["ops"][label] = {
            "rows_per_s": round(rate),
            "rows_per_cpu_s": round(per_cpu),
            "rows": rows,
            "target_rows_per_s": RATE_TARGETS[label],
        }
        print(f"  {label:<36} {rows:,} rows at {rate:,.0f} rows/s ({per_cpu:,.0f} per CPU second)", flush=True)
    for label, period in [
        ("/api/reports paging", None),
        ("/api/reports paging, a month", {"from": str(today - timedelta(days=29)), "to": str(today)}),
    ]:
        rows, elapsed, cpu, parsing = walk_reports_api(org, args.api_pages, 200, period)
        per_cpu = rows / (cpu - parsing)  # the client's parsing of the answers is not the server's work
        figures["ops"][label] = {
            "rows_per_s": round(rows / elapsed),
            "rows_per_cpu_s": round(per_cpu),
            "rows": rows,
            "target_rows_per_s": RATE_TARGETS["/api/reports paging"],
        }
        print(f"  {label:<36} {rows:,} rows at {rows / elapsed:,.0f} rows/s ({per_cpu:,.0f} per CPU second)")
    label = "/api/reports/export, a month"
    rows, elapsed, cpu, parsing = export_reports_api(org, {"from": str(today - timedelta(days=29)), "to": str(today)})
    per_cpu = rows / (cpu - parsing)
    figures["ops"][label] = {
        "rows_per_s": round(rows / elapsed),
        "rows_per_cpu_s": round(per_cpu),
        "rows": rows,
        "target_rows_per_s": RATE_TARGETS[label],
    }
    print(f"  {label:<36} {rows:,} rows at {rows / elapsed:,.0f} rows/s ({per_cpu:,.0f} per CPU second)")
    frequent, first, calls = pop_ratio(org, args.runs)
    figures["ops"]["pop, most frequent caller"] = {
        "median_ms": round(frequent, 1),
        "first_time_ms": round(first, 1),
        "earlier_calls": calls,
        "ratio": round(frequent / first, 3),
        "target_ratio": POP_RATIO_TARGET,
    }
    print(
        f"  pop of a caller with {calls:,} calls: {frequent:.1f} ms, a first-time caller's {first:.1f} ms "
        f"({frequent / first:.2f}x)",
        flush=True,
    )
    figures["load_after"] = os.getloadavg()[0]
    return figures


# --- the chart ------------------------------------------------------------------------------


def fitted(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(a, b) of t = a·n^b by least squares in log-log; None without two sizes far enough apart."""
    sizes = [n for n, _ in points]
    if len(points) < 2 or max(sizes) < 1.5 * min(sizes):
        return None
    xs, ys = [math.log(n) for n, _ in points], [math.log(max(t, 1e-3)) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return math.exp(my - b * mx), b


def value(op: dict[str, Any]) -> tuple[float, float, str]:
    """(what is drawn, its target, unit) of one operation's figures."""
    if "rows_per_cpu_s" in op:  # the server's own rate, whatever else the machine runs
        return op["rows_per_cpu_s"], op["target_rows_per_s"], "rows per CPU second"
    if "rows_per_s" in op:
        return op["rows_per_s"], op["target_rows_per_s"], "rows/s"
    if "ratio" in op:
        return op["ratio"], op["target_ratio"], "× first-timer"
    return op["p95_ms"], op["target_ms"], "ms p95"


# Figures taken at a higher load average (other work on this 2-core machine) are drawn, not fitted,
# and so are a size's figures whose entry in --results says "busy" (why, in words): other work
# known to have run beside it, which a load average taken after the run need not show.
QUIET_LOAD = 3.0


def quiet(result: dict[str, Any]) -> bool:
    return result.get("load_after", 0) <= QUIET_LOAD and not result.get("busy")


def at_ten_million(results: list[dict[str, Any]], label: str) -> tuple[tuple[float, float] | None, float | None]:
    """(the fit, its figure at 10 M) of an operation from the sizes measured on a quiet machine.
    Times are fitted; a rate or a ratio is per row or per pop, the same work at any size, so
    its 10 M figure is the one measured at the largest quiet size (code changes between sizes
    would make a fit of them mean nothing)."""
    measured = [r for r in results if label in r["ops"] and quiet(r)]
    if not measured:
        return None, None
    _, _, unit = value(measured[-1]["ops"][label])
    if unit != "ms p95":
        return None, value(measured[-1]["ops"][label])[0]
    fit = fitted([(r["reports"], value(r["ops"][label])[0]) for r in measured])
    return fit, (fit[0] * TEN_MILLION ** fit[1] if fit else None)


def shown(figure: float | None, unit: str) -> str:
    if figure is None:
        return "—"
    return f"{figure:.2f}" if unit.startswith("×") else f"{figure:,.0f}"


def chart(results: list[dict[str, Any]]) -> str:
    labels = list(results[-1]["ops"])
    cols, w, h, pad = 4, 230, 150, 34
    rows = math.ceil(len(labels) / cols)
    lo, hi = math.log(min([5e5] + [r["reports"] * 0.8 for r in results])), math.log(TEN_MILLION * 1.2)
    sizes = ", ".join(f"{r['reports']:,}" for r in results)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * w}" height="{rows * h + 40}" '
        'font-family="sans-serif" font-size="10">',
        "<title>Issue 19 operations by organization size</title>",
        f'<text x="6" y="16" font-size="13">Issue 19 at {sizes} '
        "reports: measured (dots; hollow: a busy machine, not fitted), power-law fit to 10 M (line), "
        "target (dashed)</text>",
    ]
    for i, label in enumerate(labels):
        x0, y0 = (i % cols) * w, 30 + (i // cols) * h
        points = [(r["reports"], value(r["ops"][label])[0]) for r in results if label in r["ops"]]
        _, target, unit = value(results[-1]["ops"][label])
        fit, at_10m = at_ten_million(results, label)
        top = max([t for _, t in points] + [target] + ([at_10m] if at_10m else [])) * 1.15

        def xy(n: float, t: float, x0: int = x0, y0: int = y0, top: float = top) -> str:
            x = x0 + pad + (math.log(n) - lo) / (hi - lo) * (w - pad - 10)
            y = y0 + h - 22 - t / top * (h - 50)
            return f"{x:.1f},{y:.1f}"

        parts.append(f'<text x="{x0 + 6}" y="{y0 + 14}" font-weight="bold">{label}</text>')
        parts.append(
            f'<text x="{x0 + 6}" y="{y0 + 26}" fill="#555">{unit}; 10 M: '
            f"{shown(at_10m, unit)} (target {shown(target, unit)})</text>"
        )
        base = xy(math.exp(lo), 0).split(",")[1]
        parts.append(f'<line x1="{x0 + pad}" y1="{base}" x2="{x0 + w - 10}" y2="{base}" stroke="#999"/>')
        for n in (1e6, 2e6, 5e6, 1e7):
            x = xy(n, 0).split(",")[0]
            parts.append(
                f'<text x="{x}" y="{float(base) + 11:.0f}" text-anchor="middle" fill="#555">{n / 1e6:g}M</text>'
            )
        t1, t2 = xy(math.exp(lo), target), xy(TEN_MILLION * 1.2, target)
        parts.append(f'<polyline points="{t1} {t2}" stroke="#c60" stroke-dasharray="4 3" fill="none"/>')
        if fit:
            # The sizes are on a log scale and the times are not: the power law is a curve there.
            first = min(p[0] for p in points) * 0.9
            sizes = [first * (TEN_MILLION / first) ** (i / 24) for i in range(25)]
            curve = " ".join(xy(n, fit[0] * n ** fit[1]) for n in sizes)
            parts.append(f'<polyline points="{curve}" stroke="#36c" fill="none"/>')
        for r in results:
            if label in r["ops"]:
                n, t = r["reports"], value(r["ops"][label])[0]
                cx, cy = xy(n, t).split(",")
                fill = "#036" if quiet(r) else "none"
                dot = f'<circle cx="{cx}" cy="{cy}" r="3" fill="{fill}" stroke="#036">'
                parts.append(f"{dot}<title>{n:,}: {t:,.4g}</title></circle>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def table(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table: one row per operation, one column per size, 10 M as
    `at_ten_million` carries it."""
    head = [
        f"{r['reports'] / 1e6:.1f} M (load {r.get('load_after', 0):.1f}{', busy' if r.get('busy') else ''})"
        for r in results
    ]
    lines = ["| operation | " + " | ".join(head) + " | 10 M | target |", "|---" * (len(head) + 3) + "|"]
    for label in results[-1]["ops"]:
        _, target, unit = value(results[-1]["ops"][label])
        fit, at_10m = at_ten_million(results, label)
        cells = [shown(value(r["ops"][label])[0], unit) if label in r["ops"] else "—" for r in results]
        carried = shown(at_10m, unit) + ("" if fit or at_10m is None else " (as measured)")
        lines.append(f"| {label} ({unit}) | " + " | ".join(cells) + f" | {carried} | {shown(target, unit)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--org", default="acme")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--api-pages", type=int, default=50)
    parser.add_argument("--audit-events", type=int, default=0, help="fill the access log up to this many entries")
    parser.add_argument("--results", type=Path, default=Path("docs/scale.json"))
    parser.add_argument("--svg", type=Path, default=Path("docs/scale.svg"))
    parser.add_argument("--draw-only", action="store_true", help="redraw --svg from --results, measure nothing")
    args = parser.parse_args()
    results: list[dict[str, Any]] = json.loads(args.results.read_text()) if args.results.exists() else []
    if not args.draw_only:
        if connection.vendor != "postgresql":
            sys.exit("Set DATABASE_URL to a PostgreSQL database filled by bench/generate.py.")
        figures = measure(args)
        # A size measured again (within 5 %: the pops add a few reports) replaces the old figures.
        kept = [r for r in results if abs(r["reports"] - figures["reports"]) > 0.05 * figures["reports"]]
        results = sorted([*kept, figures], key=lambda r: r["reports"])
        args.results.write_text(json.dumps(results, indent=1) + "\n")
    args.svg.write_text(chart(results))
    print(table(results))
    print(f"{args.results} holds {len(results)} sizes; {args.svg} drawn")


if __name__ == "__main__":
    main()
