"""The referral flow in Chromium: beside the report, search the resource directory, add two
services and one unmet need, submit, and find them on the report, in the list and its filter."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Login
from tests.cast import Cast, make_form
from tests.resources_directory import load_directory
from tests.test_resources_referrals import POP, REFERRAL_FORM


def test_search_add_two_services_and_an_unmet_need_submit_and_see_them(
    live_url: str, cast: Cast, page: Page, login: Login, tmp_path: Path
) -> None:
    make_form(cast.org_a, "7770001", REFERRAL_FORM, "I&R call")
    load_directory(cast.org_a, tmp_path)
    login(page, cast.specialist)
    page.goto(POP)
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}/$"))
    panel = page.locator("#resource-panel")
    expect(panel).to_be_visible()

    page.fill("#resource-q", "fod bank")  # a letter missing: "fod" is too short to widen
    page.click("#resource-search-button")
    expect(page.locator("#resource-status")).to_contain_text("no service mentions")
    page.fill("#resource-q", "food")
    page.fill("#resource-place", "62701")
    page.click("#resource-search-button")
    expect(page.locator("#resource-results li")).to_have_count(1)
    expect(page.locator("#resource-results li").first).to_contain_text("Eastside Food Bank")
    expect(page.locator("#resource-results li").first).to_contain_text("217-555-0100")
    page.get_by_role("button", name="Add Eastside Food Bank to the referrals").click()

    page.fill("#resource-q", "shleter")  # a typo
    page.fill("#resource-place", "")
    page.click("#resource-search-button")
    expect(page.locator("#resource-results li").first).to_contain_text("Night Shelter")
    page.get_by_role("button", name="Add Night Shelter to the referrals").click()

    page.click("#resource-unmet summary")
    page.fill("#resource-term", "transport")
    page.get_by_role("button", name="Record Transportation as an unmet need").click()

    referrals = page.locator("ul.referrals li")
    expect(referrals).to_have_count(3)
    expect(referrals.nth(0)).to_contain_text("Eastside Food Bank · 217-555-0100")
    expect(referrals.nth(1)).to_contain_text("Night Shelter")
    expect(referrals.nth(2)).to_contain_text("Transportation")
    expect(page.locator("#save-state")).to_contain_text("saved", ignore_case=True)

    page.fill("#id_f_summary", "Needs food and a bed tonight")
    page.click("#submit-button")
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}/$"))
    expect(page.locator("body")).to_contain_text(
        "Eastside Food Bank · 217-555-0100; Night Shelter · 217-555-0102; Unmet: Transportation"
    )

    page.goto("/reports/?f_referrals=Night+Shelter")
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody")).to_contain_text("I&R call")
    page.goto("/reports/?f_referrals=Peoria")
    expect(page.locator("body")).to_contain_text("No reports match this filter.")


def test_the_search_is_near_the_callers_postal_code_when_the_form_asks_one(
    live_url: str, cast: Cast, page: Page, login: Login, tmp_path: Path
) -> None:
    with_place = {
        "fields": [{"key": "postcode", "label": "Caller's postal code", "type": "text"}, *REFERRAL_FORM["fields"]]
    }
    make_form(cast.org_a, "7770001", with_place, "I&R call")
    load_directory(cast.org_a, tmp_path)
    login(page, cast.specialist)
    page.goto(POP)
    expect(page.locator("#resource-panel")).to_be_visible()
    page.fill("#id_f_postcode", "62701")
    page.fill("#resource-q", "food")
    page.click("#resource-search-button")
    # Nothing typed in the panel's own box: the form's postal code is used, and shown there.
    expect(page.locator("#resource-place")).to_have_value("62701")
    expect(page.locator("#resource-results li")).to_have_count(1)
    expect(page.locator("#resource-results li").first).to_contain_text("Eastside Food Bank")


def test_the_search_is_near_the_callers_city_and_an_unknown_city_is_said_so(
    live_url: str, cast: Cast, page: Page, login: Login, tmp_path: Path
) -> None:
    with_city = {"fields": [{"key": "city", "label": "Caller's city", "type": "text"}, *REFERRAL_FORM["fields"]]}
    make_form(cast.org_a, "7770001", with_city, "I&R call")
    load_directory(cast.org_a, tmp_path)
    login(page, cast.specialist)
    page.goto(POP)
    expect(page.locator("#resource-panel")).to_be_visible()
    page.fill("#id_f_city", "péoria, il")
    page.fill("#resource-q", "food")
    page.click("#resource-search-button")
    expect(page.locator("#resource-place")).to_have_value("péoria, il")
    expect(page.locator("#resource-results li")).to_have_count(1)
    expect(page.locator("#resource-results li").first).to_contain_text("Peoria Food Pantry")
    page.fill("#resource-place", "Gotham")
    page.click("#resource-search-button")
    expect(page.locator("#resource-status")).to_have_text(
        "no location of the directory has the postal code or city “Gotham”"
    )
    expect(page.locator("#resource-results li")).to_have_count(0)
