"""Issue 4 in real Chromium: an admin adds a choice field with codes and a mapping, tests
a URL in the tester, and a specialist opening that URL finds the choice pre-selected."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, Login
from tests.cast import Cast


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"configure-{name}.png"), full_page=True)


def test_an_admin_configures_a_choice_and_a_specialist_gets_it_preselected(
    live_url: str, cast: Cast, page: Page, login: Login, browser: Browser
) -> None:
    form_page = f"/configure/forms/{cast.form_a.public_id}/"
    login(page, cast.admin)
    page.click("text=Configure")
    page.click("text=Forms")
    page.click("text=Crisis call")
    expect(page).to_have_url(live_url + form_page)
    expect(page.locator("#field-rows[data-ready=true]")).to_be_attached()

    # A new field through the editor's "Add field" button; the blank row the page had stays unused.
    page.click("#add-field")
    row = page.locator("#field-rows [data-row]").last
    row.locator("input[name$='-label']").fill("Topic")
    row.locator("select[name$='-type']").select_option("choice")
    row.locator("textarea[name$='-choices']").fill("Housing = 301\nFood = 302")
    expect(row.locator("[data-row-title]")).to_have_text("Topic")
    # Moved up one place, above the empty row the page came with.
    row.locator("[data-move='-1']").click()
    _shot(page, "fields")
    page.click("text=Publish new revision")
    expect(page.locator(".messages")).to_contain_text("Published revision 2")
    expect(page.locator("#field-rows input[value='topic']")).to_have_count(1)

    page.click("nav.tabs >> text=Mappings")
    page.fill("#id_parameter", "topic")
    page.select_option("#id_field_key", "topic")
    page.click("text=Add mapping")
    expect(page.locator(".messages")).to_contain_text("Mapping added.")
    expect(page.locator("#mapping-rows")).to_contain_text("Topic")
    _shot(page, "mappings")

    page.click("nav.tabs >> text=URL builder and tester")
    expect(page.locator("#url-template")).to_contain_text("&topic={topic}")
    url = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&topic=302"
    page.fill("#id_url", "https://pbx.lifeline.example" + url)
    page.click("text=Read this URL")
    expect(page.locator("#tester-placements")).to_contain_text("Food")
    expect(page.locator("#tester-agent")).to_contain_text("Sam Specialist")
    expect(page.locator("#tester-phone")).to_contain_text("+19991234567")
    _shot(page, "tester")

    for name, path in (
        ("users", "/configure/users/"),
        ("audit", "/configure/audit/"),
        ("preview", form_page + "preview/"),
    ):
        page.goto(path)
        _shot(page, name)
    expect(page.locator("#id_f_topic")).to_be_visible()

    specialist = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    try:
        tab = specialist.new_page()
        login(tab, cast.specialist)
        tab.goto(url)
        expect(tab.locator("#id_f_topic option:checked")).to_have_text("Food")
        expect(tab.locator("#id_agent option:checked")).to_have_text("Sam Specialist")
    finally:
        specialist.close()
