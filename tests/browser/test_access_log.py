"""Issue 12 in real Chromium: a specialist locked out by wrong passwords is unlocked by an
admin, who then finds the failed logins and the unlock in the two separate logs."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, Login
from tests.cast import PASSWORD, Cast


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"access-log-{name}.png"), full_page=True)


def _try(page: Page, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "sam@lifeline.example")
    page.fill("#id_password", password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_load_state()


def test_an_admin_unlocks_a_locked_out_specialist_and_reads_the_access_log(
    live_url: str, cast: Cast, page: Page, login: Login, browser: object
) -> None:
    sam = page.context.browser.new_context(base_url=live_url).new_page()  # type: ignore[union-attr]
    for _ in range(5):
        _try(sam, "wrong-password-1")
    _try(sam, PASSWORD)
    expect(sam.locator("h1")).to_have_text("Too many failed logins")

    login(page, cast.admin)
    page.goto(f"/configure/users/{cast.specialist.public_id}/")
    expect(page.locator("#login-lock")).to_contain_text("5 failed logins in the last 15 minutes")
    page.get_by_role("button", name="Unlock login").click()
    expect(page.locator(".messages")).to_contain_text("can log in again at once")

    _try(sam, PASSWORD)
    expect(sam.locator(".topbar .who")).to_contain_text("Sam Specialist")

    page.get_by_role("link", name="Access log").click()
    page.select_option("#id_action", "login.failed")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#access-events tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("sam@lifeline.example")
    expect(rows.first).to_contain_text("127.0.0.1")
    _shot(page, "failed-logins")
    page.get_by_role("link", name="log of changes").click()
    expect(page.locator("table.audit")).to_contain_text("user.unlock")
