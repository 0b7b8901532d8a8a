"""The editor's resource panel as a specialist sees it: from pressing Search to the results on
the screen, in Chromium, through `calldesk serve`, on a directory kept by resources_bench.py.

    .venv/bin/python bench/resources_bench.py --databases postgres --keep /tmp/rb     # the directory, once
    .venv/bin/python bench/referral_panel_bench.py \\
        --database-url postgres://postgres@127.0.0.1:5432/calldesk_resources_bench_50000_80000_9000

In the directory's organization (`bench`) it adds, once, a specialist and a form with a
referrals field; starts `calldesk serve` (1 worker) on a free port; logs in; opens a screen pop
(a new draft, the panel beside it); then, for each named query, fills the panel as a
specialist would and presses Search `--repeat` times after one warm-up. The time is the
browser's own (`performance.now()`): from the click to the next frame after the results list
and its status were redrawn (a MutationObserver, then two animation frames). Printed: p50 and
p95 per query, and the server's share (the search JSON's own time, from the Navigation Timing
entry of its fetch).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from screenpop import Server  # noqa: E402  (bench/, the script's own folder)

PASSWORD = "bench-panel-password-1"
EMAIL = "panel@bench.example"
REPORT_VER = "7770009"
FORM = {
    "fields": [
        {"key": "summary", "label": "Summary", "type": "long_text"},
        {"key": "referrals", "label": "Referrals", "type": "referrals"},
    ]
}
# (name, words, place): what a specialist types into the panel's two boxes.
QUERIES = [
    ("food", "food", ""),
    ("shelter", "shelter", ""),
    ("typo: sheltr", "sheltr", ""),
    ("two words: legal clinic", "legal clinic", ""),
    ("accents: clínica", "clínica", ""),
    ("prefix: couns", "couns", ""),
    ("food near 62701", "food", "62701"),
    ("near 61602 (no words)", "", "61602"),
    ("counseling near 61820", "counseling", "61820"),
    ("nothing: zeppelin", "zeppelin", ""),
]
# Runs in the page: press Search, resolve with the ms until the redrawn results are painted.
PRESS_AND_TIME = """() => new Promise((resolve) => {
  const status = document.getElementById("resource-status");
  const results = document.getElementById("resource-results");
  const observer = new MutationObserver(() => {
    if (status.textContent === "Searching…") return;  // set as the click is handled
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - start)));
  });
  observer.observe(status, { childList: true, characterData: true, subtree: true });
  observer.observe(results, { childList: true });
  performance.clearResourceTimings();
  const start = performance.now();
  document.getElementById("resource-search-button").click();
})"""
SERVER_MS = """() => {
  const entry = performance.getEntriesByType("resource").find((e) => e.name.includes("/resources/search"));
  return entry ? entry.responseStart - entry.requestStart : null;
}"""


def prepare(database_url: str, var_dir: str) -> None:
    """The specialist and the form, once (the directory's organization comes from resources_bench.py)."""
    os.environ.update({"DATABASE_URL": database_url, "CALLDESK_VAR_DIR": var_dir})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from calldesk.accounts.models import Organization, Role, User
    from calldesk.callforms.models import CallForm, FormRevision

    call_command("migrate", verbosity=0)
    owner = Organization.objects.filter(slug="bench").first()
    if owner is None:
        sys.exit("no organization `bench`: run bench/resources_bench.py --keep FOLDER on this database first")
    if not User.objects.filter(email=EMAIL).exists():
        User.objects.create_user(
            EMAIL, PASSWORD, organization=owner, role=Role.SPECIALIST, agent_id="panel1", name="Panel Bench"
        )
    if not CallForm.objects.filter(organization=owner, report_ver=REPORT_VER).exists():
        form = CallForm.objects.create(organization=owner, report_ver=REPORT_VER, name="I&R call")
        FormRevision.objects.create(form=form, number=1, definition_json=FORM)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(base_url: str, repeat: int) -> list[tuple[str, list[float], list[float]]]:
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS  # the browser tests' flags (Django is set up by now)

    figures = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=base_url, viewport={"width": 1366, "height": 900})
        page.goto("/accounts/login/")
        page.fill("#id_username", EMAIL)
        page.fill("#id_password", PASSWORD)
        page.locator("form[action='/accounts/login/'] button[type=submit]").click()
        expect(page.locator(".topbar .who")).to_contain_text("Panel Bench")
        page.goto(f"/Telephony/GetCallReport?reportVer={REPORT_VER}&agent=panel1&ani=2175550100")
        expect(page.locator("#resource-panel")).to_be_visible()
        for name, words, place in QUERIES:
            page.fill("#resource-q", words)
            page.fill("#resource-place", place)
            page.evaluate(PRESS_AND_TIME)  # warm-up
            shown, served = [], []
            for _ in range(repeat):
                shown.append(float(page.evaluate(PRESS_AND_TIME)))
                server = page.evaluate(SERVER_MS)
                if server is not None:
                    served.append(float(server))
            figures.append((name, shown, served))
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a database resources_bench.py --keep imported")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="panel-bench-") as var_dir:
        prepare(args.database_url, var_dir)
        os.environ["CALLDESK_VAR_DIR"] = var_dir
        server = Server(args.database_url, 1, [], None, Path(var_dir) / "serve.log")
        server.start()
        try:
            figures = measure(f"http://127.0.0.1:{server.port}", args.repeat)
        finally:
            server.stop()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.repeat} presses a query")
    print(f"{'query':30} {'shown p50':>10} {'p95 ms':>8} {'server p50':>11}")
    worst = 0.0
    for name, shown, served in figures:
        p95 = percentile(shown, 0.95)
        worst = max(worst, p95)
        server_p50 = f"{statistics.median(served):.1f}" if served else "-"
        print(f"{name:30} {statistics.median(shown):10.1f} {p95:8.1f} {server_p50:>11}")
    print(f"worst p95 from Search pressed to results shown: {worst:.1f} ms")


if __name__ == "__main__":
    main()
