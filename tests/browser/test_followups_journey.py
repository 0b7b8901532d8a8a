"""Follow-ups in real Chromium: scheduled from the draft being written, counted overdue in the
menu, listed in My follow-ups; "Call now" opens a new draft filled in like a pop; attempts are
recorded from that draft until the follow-up closes as unreachable. Every follow-up page fits a
laptop and a phone; the steps are done with the keyboard where a person would."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from calldesk.followups.models import FollowUp, State
from calldesk.reports.models import CallReport, ReportChange
from tests.browser.conftest import Login
from tests.browser.test_page_widths import SIZES, visit
from tests.cast import Cast

POP = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"
DRAFT_URL = re.compile(r"/reports/([0-9a-f-]{36})/$")


def draft_id(page: Page) -> str:
    match = DRAFT_URL.search(page.url)
    assert match is not None, page.url
    return match.group(1)


def test_schedule_call_now_and_attempts_until_unreachable(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    page.goto(POP)
    expect(page.locator("#report-form")).to_have_attribute("data-ready", "true")
    original = draft_id(page)
    panel = page.locator("#followups-panel")
    # The form comes when "Schedule a follow-up" is opened, with the keyboard, and takes the focus.
    page.locator("#followups-schedule summary").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_due_at")).to_be_focused()
    expect(page.locator("#id_assignee option:checked")).to_have_text("Sam Specialist")
    # Typed, and sent with Enter from the last field, as a person at a keyboard does.
    page.fill("#id_due_at", "2026-01-05T09:00")  # already past: overdue at once
    page.select_option("#id_method", "call")
    page.fill("#id_reason", "Ana asked to be called back")
    page.locator("#followups-schedule-button").focus()
    page.keyboard.press("Enter")
    expect(panel.locator("#followups-of-report")).to_contain_text("Call, due 2026-01-05 09:00")
    expect(panel.locator("#followups-of-report .badge")).to_have_text("overdue")
    # The draft was never left: still the same page, still saving itself.
    assert draft_id(page) == original

    page.goto("/followups/")
    expect(page.locator("#nav-followups-overdue")).to_have_text("1")
    row = page.locator("#followups-list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("overdue")
    row.get_by_role("link").click()
    expect(page.locator("#followup-state")).to_have_text("Open")
    expect(page.locator("#followup-reason")).to_have_text("Ana asked to be called back")

    for number, outcome in ((1, "No answer"), (2, "Left a message"), (3, "Wrong number")):
        page.locator("#call-now").focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(DRAFT_URL)
        expect(page.locator("#report-form")).to_have_attribute("data-ready", "true")
        assert draft_id(page) != original
        # Filled in like a pop: the number, the agent, the call start, the follow-up's form.
        expect(page.locator("h1")).to_have_text("Crisis call")
        expect(page.locator("#id_phone")).to_have_value("+19991234567")
        expect(page.locator("#id_agent option:checked")).to_have_text("Sam Specialist")
        # (A datetime-local input's value drops the seconds when they are 0: a call started at :00.)
        expect(page.locator("#id_call_start")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$"))
        expect(page.locator("#followup-attempt")).to_contain_text(f"This call is attempt {number} of 3")
        page.locator("#followup-attempt").get_by_role("button", name=outcome).click()
        expect(page.locator("#followup-attempt")).to_have_count(0)
        page.goto(f"/followups/{FollowUp.objects.get().public_id}/")

    expect(page.locator("#followup-state")).to_have_text("Unreachable")
    expect(page.locator("#call-now")).to_have_count(0)
    expect(page.locator("#attempts li")).to_have_count(3)
    page.goto("/followups/")
    expect(page.locator("#followups-none")).to_be_visible()
    expect(page.locator("#nav-followups-overdue")).to_have_count(0)
    follow_up = FollowUp.objects.get()
    assert follow_up.state == State.UNREACHABLE
    assert CallReport.objects.count() == 4  # the original and one draft per attempt
    changes = ReportChange.objects.filter(report__public_id=original, action="follow_up")
    texts = [c.changes["Follow-up"][1] for c in changes]
    assert texts[-1] == "attempt 3 of 3 by Sam Specialist: wrong number; closed as unreachable"

    for size in SIZES:
        for path in ("/followups/", f"/followups/{follow_up.public_id}/", f"/followups/new/{original}/"):
            visit(page, path, "specialist-followups", size)


def test_the_supervisors_pages_fit_and_bulk_reassign(cast: Cast, page: Page, login: Login) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from calldesk.followups.services import schedule_follow_up
    from tests.reportdata import make_report

    report = make_report(cast.form_a, cast.specialist, timezone.now() - timedelta(days=1))
    for hours in (1, 2):
        schedule_follow_up(
            report, cast.specialist, due_at=timezone.now() - timedelta(hours=hours), assignee=None, method="text"
        )
    login(page, cast.supervisor)
    for size in SIZES:
        visit(page, "/followups/all/", "supervisor-followups", size)
        visit(page, "/console/", "supervisor-console", size)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/followups/all/")
    checks = page.locator("#followups-list input[type=checkbox]")
    expect(checks).to_have_count(2)
    checks.nth(0).check()
    checks.nth(1).check()
    page.select_option("#id_bulk_assignee", label="Kim Specialist")
    page.get_by_role("button", name="Reassign").click()
    expect(page.locator(".messages")).to_contain_text("2 follow-ups given to Kim Specialist.")
    assert {f.assignee for f in FollowUp.objects.all()} == {cast.specialist2}
