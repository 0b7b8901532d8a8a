"""The taxonomy tree beside the report's resource search, in Chromium: browse with the keyboard
(expand a term to see the terms under it, pick one to search by it), and axe-core finds nothing
on the panel with the tree open."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Login
from tests.browser.test_accessibility import axe_source, violations
from tests.cast import Cast, make_form
from tests.resources_directory import load_directory
from tests.test_resources_referrals import POP, REFERRAL_FORM


def test_browse_the_tree_with_the_keyboard_and_search_by_a_term(
    live_url: str, cast: Cast, page: Page, login: Login, tmp_path: Path
) -> None:
    make_form(cast.org_a, "7770001", REFERRAL_FORM, "I&R call")
    load_directory(cast.org_a, tmp_path)
    login(page, cast.specialist)
    page.goto(POP)
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}/$"))

    summary = page.locator("#resource-browse summary")
    summary.focus()
    page.keyboard.press("Enter")
    tree = page.locator("#resource-tree")
    expect(tree.locator(":scope > li")).to_have_count(6)  # the top level: six terms without a parent
    toggle = page.get_by_role("button", name="Show the terms under Food pantries")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.focus()
    page.keyboard.press("Enter")
    hot_meals = page.get_by_role("button", name="Hot meals (MEALS)")
    expect(hot_meals).to_be_visible()
    expect(page.get_by_role("button", name="Hide the terms under Food pantries")).to_have_attribute(
        "aria-expanded", "true"
    )
    page.keyboard.press("Tab")  # from the toggle to its own term, then into the level below
    page.keyboard.press("Tab")
    expect(hot_meals).to_be_focused()

    problems = violations(page, axe_source())
    assert not problems, "axe-core found:\n" + "\n".join(problems)

    page.keyboard.press(" ")
    expect(page.locator("#resource-picked")).to_contain_text("Hot meals")
    expect(page.locator("#resource-results li")).to_have_count(1)
    expect(page.locator("#resource-results li").first).to_contain_text("Café Solidaire")

    page.get_by_role("button", name="Food pantries (PANTRY)").click()  # a term searches with those under it
    expect(page.locator("#resource-results li")).to_have_count(3)
    expect(page.locator("#resource-results")).to_contain_text("Eastside Food Bank")

    page.get_by_role("button", name="Clear the need").click()
    expect(page.locator("#resource-picked")).to_be_hidden()
    page.get_by_role("button", name="Hide the terms under Food pantries").click()
    expect(hot_meals).to_be_hidden()
