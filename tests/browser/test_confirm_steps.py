"""The confirmation steps in a real browser, with no script involved: retire a form, then undo;
close a draft as abandoned, then reopen it."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, Login
from tests.cast import Cast
from tests.reportdata import CALLER, CALLER_E164, make_report


def test_an_admin_retires_a_form_after_reading_what_it_does_and_undoes_it(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.admin)
    page.goto(f"/configure/forms/{cast.form_a.public_id}/")
    page.get_by_role("button", name="Retire", exact=True).click()
    expect(page.locator("#confirm-page h1")).to_have_text("Retire form 9991234 (Crisis call)?")
    expect(page.locator("#confirm-page")).to_contain_text("will answer 404 (not found)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "confirm_retire.png"), full_page=True)
    page.locator("#confirm-cancel").click()
    expect(page.locator(".form-head, h1").first).to_contain_text("Crisis call")
    cast.form_a.refresh_from_db()
    assert not cast.form_a.is_retired

    page.get_by_role("button", name="Retire", exact=True).click()
    page.locator("#confirm-button").click()
    expect(page.locator(".messages")).to_contain_text("phone pops of it now answer 404")
    cast.form_a.refresh_from_db()
    assert cast.form_a.is_retired
    page.get_by_role("button", name="Open it to calls again").click()
    expect(page.locator(".messages")).to_contain_text("open to calls again")
    cast.form_a.refresh_from_db()
    assert not cast.form_a.is_retired


def test_a_supervisor_closes_a_draft_as_abandoned_and_reopens_it(cast: Cast, page: Page, login: Login) -> None:
    draft = make_report(cast.form_a, cast.specialist, timezone.now(), status="draft", phone=(CALLER, CALLER_E164))
    login(page, cast.supervisor)
    page.goto("/reports/unfinished/")
    page.get_by_role("button", name="Close as abandoned").click()
    expect(page.locator("#confirm-page h1")).to_have_text("Close this draft as abandoned?")
    page.locator("#confirm-button").click()
    expect(page.locator(".messages")).to_contain_text("closed as abandoned")
    expect(page.locator("#unfinished-list")).to_contain_text("No unfinished calls.")
    page.goto(f"/reports/{draft.public_id}/")
    page.get_by_role("button", name="Reopen as a draft").click()
    expect(page.locator(".messages")).to_contain_text("open again")
    page.goto("/reports/unfinished/")
    expect(page.locator("#unfinished-list tbody tr")).to_have_count(1)
