"""On a phone (390 px wide) every action of the editor is on screen and can be tapped: the
close-as buttons were cut off past the screen's right edge."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Login
from tests.cast import Cast

PHONE = {"width": 390, "height": 844}


def test_every_close_as_button_is_on_screen_and_closes_the_call(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    page.set_viewport_size(PHONE)
    page.goto("/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567")
    buttons = page.locator("#editor-bar button")
    expect(buttons.first).to_be_visible()
    labels = []
    for button in buttons.all():
        box = button.bounding_box()
        assert box is not None
        labels.append(button.inner_text())
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], f"{button.inner_text()} is cut off: {box}"
        assert box["y"] + box["height"] <= PHONE["height"], f"{button.inner_text()} is below the screen: {box}"
    assert any(label.startswith("Close as") for label in labels)
    page.get_by_role("button", name="Close as wrong number").click()
    expect(page.locator("#report-status")).to_have_text("Closed")
    expect(page.locator("#report-values")).to_contain_text("Wrong number")
