"""Issue 2's core journey in real Chromium: the three SPEC §2 example URLs open pre-filled
drafts; a logged-out call survives the login; a report is submitted and found again."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from calldesk.accounts.models import User
from calldesk.callforms.models import CallForm
from calldesk.reports.models import CallReport
from tests.browser.conftest import ARTIFACTS, Login, submit_login_form
from tests.cast import Cast, make_form, make_user

EXAMPLE_1 = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"
EXAMPLE_2 = "/Telephony/GetCallReport?reportVer=1234567&agent=bob%40acme.com&ani=9991234567&dnis=8886201111"
EXAMPLE_3 = "/Telephony/GetCallReport?reportVer=1234567&language=112211&callStart=2008-09-22T14:01:54Z"

# The demo's second form, as SPEC §2's examples 2 and 3 expect it.
FORM_1234567: dict[str, Any] = {
    "fields": [
        {
            "key": "language",
            "label": "Language",
            "type": "choice",
            "choices": [{"label": "English", "code": "112210"}, {"label": "Spanish", "code": "112211"}],
        },
        {"key": "incoming_line", "label": "Incoming line", "type": "choice", "choices": [{"label": "Main line"}]},
        {"key": "dialled_number", "label": "Dialled number", "type": "text"},
        {"key": "summary", "label": "Summary", "type": "long_text", "required": True},
    ],
}
MAPPINGS_1234567 = [
    ("dnis", "8886201111", "incoming_line", "Main line"),
    ("dnis", "", "dialled_number", ""),
    ("language", "", "language", ""),
]


class Second:
    """Form 1234567 in organization A and the agent bob@acme.com that example 2 names."""

    def __init__(self, cast: Cast) -> None:
        self.form: CallForm = make_form(cast.org_a, "1234567", FORM_1234567, "Demo call", MAPPINGS_1234567)
        self.bob: User = make_user(cast.org_a, "bob@acme.com", agent_id="77", name="Bob Acme")


@pytest.fixture
def second(cast: Cast) -> Second:
    return Second(cast)


def selected(page: Page, field_id: str) -> Any:
    """The chosen option's text of the <select> with this id."""
    return page.locator(f"#{field_id} option:checked")


def open_draft(page: Page, live_url: str, url: str) -> None:
    page.goto(live_url + url)
    # The 303 moved the call to the draft's opaque address: the caller's number left the address bar.
    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}/$"))
    expect(page.locator("#report-form")).to_be_visible()


def test_example_1_agent_id_and_phone(live_url: str, cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    open_draft(page, live_url, EXAMPLE_1)

    expect(page.locator("h1")).to_have_text("Crisis call")
    # agent=34 is Sam in organization A (Bea in B has the same agent ID and must not count).
    expect(selected(page, "id_agent")).to_have_text("Sam Specialist")
    expect(page.locator("#id_phone")).to_have_value("999-123-4567")
    expect(page.locator("#phone-normalised")).to_contain_text("+19991234567")
    # No callStart: now, shown as a wall-clock time in the form's datetime-local input.
    # (A datetime-local input's value drops the seconds when they are 0: a call started at :00.)
    expect(page.locator("#id_call_start")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$"))
    expect(selected(page, "id_f_language")).to_have_text("—")
    expect(page.locator("#call-notices")).to_have_count(0)


def test_example_2_agent_by_email_and_dnis_mappings(
    live_url: str, cast: Cast, second: Second, page: Page, login: Login
) -> None:
    login(page, cast.specialist)
    open_draft(page, live_url, EXAMPLE_2)

    expect(page.locator("h1")).to_have_text("Demo call")
    expect(selected(page, "id_agent")).to_have_text("Bob Acme")
    expect(page.locator("#id_phone")).to_have_value("9991234567")
    expect(page.locator("#phone-normalised")).to_contain_text("+19991234567")
    expect(selected(page, "id_f_incoming_line")).to_have_text("Main line")
    expect(page.locator("#id_f_dialled_number")).to_have_value("8886201111")
    expect(selected(page, "id_f_language")).to_have_text("—")
    # Sam opened the call the phone system sent for Bob: the form says so, and nothing else.
    expect(page.locator("#call-notices li")).to_have_count(1)
    expect(page.locator("#call-notices")).to_contain_text("This call was sent for Bob Acme")


def test_example_3_language_code_and_call_start_in_the_org_zone(
    live_url: str, cast: Cast, second: Second, page: Page, login: Login
) -> None:
    login(page, cast.specialist)
    open_draft(page, live_url, EXAMPLE_3)

    # 14:01:54 UTC is 10:01:54 in New York (daylight saving time in September).
    expect(page.locator("#id_call_start")).to_have_value("2008-09-22T10:01:54")
    expect(selected(page, "id_f_language")).to_have_text("Spanish")
    expect(selected(page, "id_agent")).to_have_text("— (filled with you when saved)")
    expect(page.locator("#id_phone")).to_have_value("")
    expect(page.locator("#call-notices")).to_have_count(0)


def test_values_that_cannot_be_used_are_listed_as_notices(
    live_url: str, cast: Cast, second: Second, page: Page, login: Login
) -> None:
    login(page, cast.specialist)
    cast.specialist2.agent_id = "34"
    cast.specialist2.save()
    open_draft(
        page,
        live_url,
        "/Telephony/GetCallReport?reportVer=1234567&agent=34&ani=anonymous&language=999999&callStart=yesterday",
    )

    notices = page.locator("#call-notices li")
    expect(notices).to_have_count(4)
    expect(page.locator("#call-notices")).to_contain_text("34")  # the agent that matched 2 users
    expect(page.locator("#call-notices")).to_contain_text("999999")  # the unknown language code
    expect(page.locator("#call-notices")).to_contain_text("yesterday")  # the unreadable callStart
    expect(page.locator("#call-notices")).to_contain_text("withheld")  # ani=anonymous
    expect(selected(page, "id_agent")).to_have_text("— (filled with you when saved)")
    expect(page.locator("#id_phone")).to_have_value("")
    expect(selected(page, "id_f_language")).to_have_text("—")


def test_a_call_opened_while_logged_out_waits_for_the_login(
    live_url: str, cast: Cast, second: Second, page: Page
) -> None:
    page.goto(live_url + EXAMPLE_3)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator("body")).to_contain_text("A call is waiting")
    assert "112211" not in page.url  # the call's values wait on the server, not in the address

    submit_login_form(page, cast.specialist)

    expect(page).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}/$"))
    expect(page.locator("#id_call_start")).to_have_value("2008-09-22T10:01:54")
    expect(selected(page, "id_f_language")).to_have_text("Spanish")


def test_submit_a_report_and_find_it_in_my_reports(
    live_url: str, cast: Cast, second: Second, page: Page, login: Login
) -> None:
    login(page, cast.specialist)
    static: dict[str, int] = {}
    page.on("response", lambda r: static.update({r.url.rsplit("/", 1)[-1]: r.status}) if "/static/" in r.url else None)
    open_draft(page, live_url, EXAMPLE_3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "editor-example-3.png"), full_page=True)
    # The page is styled and scripted: the live server served the static files and the CSS applies.
    expect(page.locator("section.card").first).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")
    page.wait_for_load_state("load")  # the deferred editor.js has been fetched
    assert static.get("calldesk.css") == 200 and static.get("editor.js") == 200, static
    assert all(status == 200 for status in static.values()), static

    page.select_option("#id_f_incoming_line", label="Main line")
    page.fill("#id_phone", "+1 212 555 0100")
    page.click("#submit-button")

    # Summary is required: the error sits inside the Summary field's block, the report stays a draft.
    expect(page.locator("#field-f_summary .field-error")).to_have_text("This field is required.")
    # The form's own fields (the side panels keep their own hidden error lines).
    expect(page.locator("#report-form .field-error")).to_have_count(1)
    expect(page.locator("#id_f_incoming_line option:checked")).to_have_text("Main line")
    draft = CallReport.objects.get()
    assert draft.is_draft

    page.fill("#id_f_summary", "Caller asked about opening hours.")
    page.click("#submit-button")

    expect(page).to_have_url(re.compile(rf"/reports/{draft.public_id}/$"))
    expect(page.locator("#report-status")).to_have_text("Submitted")
    values = page.locator("#report-values")
    expect(values).to_contain_text("Sam Specialist")  # the empty Agent became the logged-in user
    expect(values).to_contain_text("Spanish")
    expect(values).to_contain_text("Main line")
    expect(values).to_contain_text("Caller asked about opening hours.")
    expect(values).to_contain_text("2008-09-22 10:01")

    page.click(".topbar nav >> text=My reports")
    expect(page).to_have_url(re.compile(r"/reports/$"))
    row = page.locator("#report-list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2008-09-22 10:01")
    expect(row).to_contain_text("Demo call")
    expect(row).to_contain_text("Sam Specialist")
    expect(row).to_contain_text("Submitted")
    row.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/reports/{draft.public_id}/$"))

    report = CallReport.objects.get()
    assert report.agent == cast.specialist
    assert report.values["summary"] == "Caller asked about opening hours."
