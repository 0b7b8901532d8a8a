"""A newcomer supervisor sets up two-factor sign-in in real Chromium, then signs in with a code."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, submit_login_form
from tests.cast import Cast
from tests.twofactor import code_from_secret, next_code


def test_a_supervisor_sets_up_an_app_and_signs_in_with_it(live_url: str, cast: Cast, page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/accounts/login/?next=/dashboards/")
    submit_login_form(page, cast.supervisor)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/$"))
    expect(page.get_by_text("Your organization asks people in your role")).to_be_visible()
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")  # the QR code really renders
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "two-factor-setup.png"), full_page=True)

    page.fill("#id_code", "000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")

    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("#id_code", code_from_secret(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them, continue").click()
    expect(page).to_have_url(re.compile(r"/dashboards/$"))

    page.get_by_role("button", name="Log out").click()
    page.goto("/accounts/login/")
    submit_login_form(page, cast.supervisor)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/$"))
    page.fill("#id_code", next_code(cast.supervisor))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".topbar .who")).to_contain_text(cast.supervisor.display_name)
