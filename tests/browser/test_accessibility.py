"""axe-core (the accessibility engine browsers' own audit tools use) finds nothing on any page,
for every role, on a laptop and on a phone: labelled inputs, one landmark of each kind, named
table headers, contrast. axe-core comes from npm (scripts/test.sh installs it; AXE_CORE_JS names
the file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Login
from tests.browser.every_page import every_page
from tests.cast import Cast

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
# scripts/test.sh installs axe-core here with npm.
DEFAULT_AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def axe_source() -> str:
    path = Path(os.environ.get("AXE_CORE_JS", DEFAULT_AXE))
    if not path.is_file():
        pytest.fail(
            f"axe-core is not at {path}: `npm install --prefix .cache/axe axe-core` (scripts/test.sh does it)",
            pytrace=False,
        )
    return path.read_text()


def violations(page: Page, axe: str) -> list[str]:
    """axe-core's violations on the page as it stands, one line each: rule, impact, where."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: the site's Content-Security-Policy
        # (rightly) refuses inline scripts, and the test must not weaken it.
        page.evaluate(axe + "\n;0")
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} -- ` +
                v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
        }"""
    )
    return [str(line) for line in found]


def test_axe_finds_nothing_on_any_page_for_any_role(cast: Cast, page: Page, login: Login) -> None:
    axe = axe_source()
    problems: list[str] = []
    for tour in every_page(cast):
        page.context.clear_cookies()
        if tour.user is not None:
            login(page, tour.user)
        paths = [*tour.paths, *([f"/reports/{tour.draft.public_id}/"] if tour.draft else [])]
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            for path in paths:
                page.goto(path)
                expect(page.locator("main")).to_be_visible()
                problems += [f"{tour.who} {size} {path}: {line}" for line in violations(page, axe)]
    assert not problems, "axe-core found:\n" + "\n".join(problems)


def test_a_skip_link_leads_past_the_menu_to_the_page(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    page.goto("/reports/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the page")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    skip.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_the_editor_starts_on_its_first_field(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    page.goto("/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567")
    expect(page.locator("#report-form .custom :is(input, select, textarea):visible").first).to_be_focused()
