"""A supervisor adds an alert and a block to a caller's profile, by keyboard; the specialist's
next pop of that number shows the block notice and the alert before anything else, and the
profile beside "Earlier calls". The pages fit a laptop (1366x768) and a phone (390x844)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, Login
from tests.browser.test_page_widths import SIZES, overflow
from tests.cast import Cast

POP = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"
LONG_ALERT = "Call-time limit 10 min; " + "X" * 120  # a word no line can break


def fits(page: Page, where: str) -> None:
    """No sideways scrolling on either screen; screenshots for a person to look at."""
    shots = ARTIFACTS / "widths"
    shots.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w]+", "_", where)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(shots / f"callers-{name}-{size}.png"))
        assert overflow(page) <= 0, f"{where} on a {size} is {overflow(page)} px too wide"


def test_a_supervisors_alert_and_block_come_first_on_the_specialists_pop(
    cast: Cast, page: Page, login: Login, browser: Browser, live_url: str
) -> None:
    login(page, cast.supervisor)
    page.get_by_role("link", name="Callers").click()
    fits(page, "/callers/")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_label("Phone number").fill("(999) 123-4567")
    page.keyboard.press("Enter")
    expect(page.locator("#lookup-missing")).to_contain_text("No profile for +1 999-123-4567")
    page.get_by_role("button", name="Make a profile for +1 999-123-4567").press("Enter")
    expect(page.get_by_role("heading", name="Caller profile", exact=True)).to_be_visible()

    page.get_by_label("Preferred name").fill("Jo")
    page.get_by_label("Instructions when communicating").fill("Speak slowly. <b>Never</b> rush.")
    page.locator("#profile-form button[type=submit]").press("Enter")
    page.get_by_role("textbox", name="Alert").fill(LONG_ALERT)
    page.get_by_role("textbox", name="Alert").press("Enter")  # Enter in a field sends its form
    expect(page.locator("#caller-alert-list")).to_contain_text("Call-time limit 10 min")
    page.get_by_label("Block this caller").select_option(label="1 day")
    page.get_by_role("button", name="Apply").press("Enter")
    expect(page.locator("#caller-blocked")).to_contain_text("Blocked until")
    expect(page.locator("#caller-instructions")).to_contain_text("Speak slowly. <b>Never</b> rush.")
    fits(page, "the profile page")

    specialist = browser.new_context(base_url=live_url, viewport={"width": 1366, "height": 768}, locale="en-US")
    try:
        pop = specialist.new_page()
        login(pop, cast.specialist)
        pop.goto(POP)
        expect(pop.locator("#report-form")).to_be_visible()
        blocked, alerts = pop.locator("#caller-blocked"), pop.locator("#caller-alerts")
        expect(blocked).to_contain_text("Blocked number until")
        expect(alerts).to_contain_text("Call-time limit 10 min")
        # Above everything: the notice first, then the alerts, then the form's heading.
        tops = [pop.locator(s).bounding_box()["y"] for s in ("#caller-blocked", "#caller-alerts", "#editor-title")]  # type: ignore[index]
        assert tops == sorted(tops), tops
        assert tops[1] < 768  # on the first screen
        # The profile sits in the side column, just above "Earlier calls".
        expect(pop.locator(".editor-side > #caller-profile + #earlier-calls")).to_have_count(1)
        expect(pop.locator("#caller-name")).to_have_text("Jo")
        fits(pop, "the editor with a caller's alerts")
        with specialist.expect_page() as opening:
            pop.get_by_role("link", name="Open the profile").click()
        opened = opening.value
        opened.wait_for_load_state()
        expect(opened.locator("#caller-alert-list")).to_contain_text("Call-time limit 10 min")
        expect(opened.locator("#alert-form")).to_have_count(0)  # specialists read only
    finally:
        specialist.close()
