"""A supervisor filters the report list, exports it, and opens the dashboard's charts."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, Login
from tests.cast import Cast
from tests.reportdata import make_known


def test_a_supervisor_filters_exports_and_reads_the_dashboard(
    live_url: str, cast: Cast, page: Page, login: Login
) -> None:
    known = make_known(cast)
    login(page, cast.supervisor)
    page.goto("/reports/")
    expect(page.locator("#report-count")).to_have_text("5 reports")

    page.fill("#id_phone", "(999) 123-4567")
    page.locator(".more-filters summary").click()
    page.select_option("#id_f_language", "English")
    page.locator("#report-filters button[type=submit]").click()
    expect(page.locator("#report-count")).to_have_text("1 report matches the filter")
    expect(page.locator("#report-list tbody tr")).to_have_count(1)
    expect(page.locator(f'#report-list a[href="/reports/{known.r1.public_id}/"]')).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "supervisor_report_list.png"), full_page=True)
    with page.expect_download() as download_info:
        page.locator("#export-csv").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [row["Report"] for row in rows] == [str(known.r1.public_id)]
    assert rows[0]["Call start"] == "2026-03-02 10:00:00"

    page.locator(".topbar nav a", has_text="Dashboards").click()
    page.fill("#id_from", "2026-03-01")
    page.fill("#id_to", "2026-03-10")
    page.locator("#dashboard-filters button[type=submit]").click()
    expect(page.locator("#total-calls")).to_have_text("6")
    # The charts drew: SVG bars carrying the data, one per hour and one per day of the range.
    expect(page.locator("#chart-hour svg rect.bar")).to_have_count(24)
    expect(page.locator("#chart-day svg rect.bar")).to_have_count(10)
    expect(page.locator("#chart-field-language svg rect.bar")).to_have_count(4)
    heights = page.locator("#chart-hour svg rect.bar").evaluate_all("bars => bars.map(bar => bar.getBBox().height)")
    assert sum(1 for height in heights if height > 0) == 6
    expect(page.locator('#chart-agent svg rect.bar[data-label="Sam Specialist"]')).to_have_attribute("data-value", "4")
    page.screenshot(path=str(ARTIFACTS / "supervisor_dashboard.png"), full_page=True)
