"""Every page fits the screen, on a laptop (1366x768) and on a phone (390x844), for each role:
no page scrolls sideways, even with a 200-character name without spaces.
Screenshots of every page go to test-artifacts/widths/ for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Error, Page, expect

from calldesk.accounts.models import Role
from calldesk.configure import services
from tests.browser.conftest import ARTIFACTS, Login
from tests.browser.every_page import every_page
from tests.cast import Cast, make_user

LONG = "Z" * 200
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def shoot(page: Page, path: Path, full_page: bool) -> None:
    """A screenshot for a person to look at. Chromium under load sometimes answers "Unable to
    capture screenshot" for a page that is fine (seen in CI): a second try gets it."""
    for attempt in range(3):
        try:
            page.screenshot(path=str(path), full_page=full_page)
            return
        except Error:
            if attempt == 2:
                raise
            page.wait_for_timeout(500)


def visit(page: Page, path: str, who: str, size: str, fits: bool = True) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    response = page.goto(path)
    assert response is not None
    expect(page.locator("main")).to_be_visible()
    name = f"{who}-{size}-" + (re.sub(r"[^\w]+", "_", path.strip("/"))[:60] or "home")
    shots = ARTIFACTS / "widths"
    shots.mkdir(parents=True, exist_ok=True)
    shoot(page, shots / f"{name}.png", full_page=True)
    shoot(page, shots / f"{name}-first-screen.png", full_page=False)
    if fits:
        assert overflow(page) <= 0, f"{path} as {who} on a {size} is {overflow(page)} px too wide"


def test_a_200_character_name_does_not_widen_users_or_audit(cast: Cast, page: Page, login: Login) -> None:
    long_admin = make_user(cast.org_a, "long@lifeline.example", Role.ADMIN, agent_id="9" * 60, name=LONG)
    services.create_member(
        long_admin, f"{'y' * 60}@lifeline.example", LONG, Role.SPECIALIST, "7" * 60, "pw-long-enough-1"
    )
    login(page, cast.admin)
    for size in SIZES:
        for path in ("/configure/users/", "/configure/audit/", f"/configure/users/{long_admin.public_id}/"):
            visit(page, path, "admin-long-name", size)


def test_every_page_fits_laptops_and_phones_for_every_role(cast: Cast, page: Page, login: Login) -> None:
    for tour in every_page(cast):
        page.context.clear_cookies()
        if tour.user is not None:
            login(page, tour.user)
        for size in SIZES:
            for path in tour.paths:
                visit(page, path, tour.who, size)
            if tour.draft is not None:
                # The editor's layout is checked by its own tests: looked at here, not measured.
                visit(page, f"/reports/{tour.draft.public_id}/", tour.who, size, fits=False)
