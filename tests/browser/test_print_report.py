"""Printing a report gives the report only: no menu, no buttons, no admin's call record; its
history only when asked for. The browser's print dialog also saves it as PDF."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Login
from tests.cast import Cast
from tests.reportdata import make_known


def test_a_printed_report_shows_the_report_and_its_history_only_on_request(
    cast: Cast, page: Page, login: Login
) -> None:
    known = make_known(cast)
    login(page, cast.admin)
    page.goto(f"/reports/{known.r1.public_id}/")
    expect(page.locator("#report-values")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#report-values")).to_be_visible()
    for hidden in (".topbar", "#report-history", "#print-report", "#call-record"):
        expect(page.locator(hidden)).to_be_hidden()
    page.emulate_media(media="screen")
    page.locator("#print-with-history").check()
    page.emulate_media(media="print")
    expect(page.locator("#report-history")).to_be_visible()
    expect(page.locator(".topbar")).to_be_hidden()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
