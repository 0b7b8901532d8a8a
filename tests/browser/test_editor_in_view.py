"""Issue 10, points 1-4, in real Chromium: a value that does not pass its check never holds up the
draft; the save state and the actions stay in view; a refused submit takes the specialist to the
first problem; the keyboard submits and saves; the landing page says "submitted"."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, Route, expect

from calldesk.callforms.services import publish_revision
from calldesk.reports.models import CallReport, Status
from tests.browser.conftest import Login
from tests.cast import Cast
from tests.reporting import EVERY_TYPE

URL = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&dnis=8886201111&language=112211"
SAVED_AT = re.compile(r"^Draft saved at \d\d:\d\d:\d\d")


def open_editor(page: Page) -> CallReport:
    page.goto(URL)
    expect(page.locator("#report-form[data-ready=true]")).to_be_visible()
    return CallReport.objects.get(public_id=page.url.rstrip("/").split("/")[-1])


def set_value(page: Page, selector: str, value: str) -> None:
    """A value the browser's own date controls accept but the server does not (a year past 9999,
    which Chromium lets a specialist type), set as typing would, with its input event."""
    page.locator(selector).evaluate(
        "(el, value) => { el.value = value; el.dispatchEvent(new Event('input', {bubbles: true})); }", value
    )


def in_viewport(page: Page, locator: Locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def test_a_value_of_any_type_that_does_not_pass_never_holds_up_the_rest(cast: Cast, page: Page, login: Login) -> None:
    publish_revision(cast.form_a, {"fields": EVERY_TYPE})
    login(page, cast.specialist)
    report = open_editor(page)
    typed = {
        "#id_f_nickname": "n" * 2001,
        "#id_f_summary": "s" * 20001,
        "#id_f_age": "12abc",
        "#id_f_callback": "abc",
        "#id_f_email": "not-an-address",
        "#id_phone": "call me",
    }
    for selector, value in typed.items():
        page.fill(selector, value)
    page.fill("#id_call_start", "")
    set_value(page, "#id_f_born", "10000-01-01")
    set_value(page, "#id_f_follow_up", "10000-01-01T10:00")
    page.fill("#id_f_dialled_number", "typed after every bad value")
    expect(page.locator("#save-state")).to_contain_text("Draft saved at")
    expect(page.locator("#save-state")).to_contain_text("9 fields need a look before submit")
    expect(page.locator("#field-f_age .field-error")).to_have_text("Enter a number, e.g. 12 or 3.5.")

    page.reload()
    expect(page.locator("#save-state")).to_have_text("Draft saved · 9 fields need a look before submit")
    expect(page.locator("#id_f_dialled_number")).to_have_value("typed after every bad value")
    for selector, value in typed.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("#id_f_born")).to_have_value("10000-01-01")
    expect(page.locator("#id_f_follow_up")).to_have_value("10000-01-01T10:00")
    for name in ("f_nickname", "f_summary", "f_age", "f_callback", "f_email", "phone", "call_start", "f_born"):
        expect(page.locator(f"#field-{name}")).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.locator("#field-f_follow_up .field-error")).to_have_text("Enter a date and time.")
    report.refresh_from_db()
    assert report.values["dialled_number"] == "typed after every bad value"
    assert report.unchecked["f_age"] == "12abc"


def test_the_save_state_and_actions_stay_in_view_while_typing_at_the_bottom(
    cast: Cast, page: Page, login: Login
) -> None:
    publish_revision(cast.form_a, {"fields": EVERY_TYPE})
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, cast.specialist)
    open_editor(page)
    page.fill("#id_f_email", "someone@example.org")  # the last field of the form
    expect(page.locator("#save-state")).to_have_text(SAVED_AT)
    for element in ("#save-state", "#submit-button", "#save-button", "button[value=hang_up]", "#shortcuts"):
        assert in_viewport(page, page.locator(element)), element
    # The field being typed in is not hidden behind the bar.
    field = page.locator("#id_f_email").bounding_box()
    bar = page.locator("#editor-bar").bounding_box()
    assert field is not None and bar is not None
    assert field["y"] + field["height"] <= bar["y"]
    # The 24-hour time, as everywhere else, though the browser's locale is en-US.
    assert "M" not in page.locator("#save-state").inner_text()


def test_a_refused_submit_takes_the_specialist_to_the_first_problem(cast: Cast, page: Page, login: Login) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, cast.specialist)
    report = open_editor(page)
    page.locator("#submit-button").click()
    summary = page.locator("#id_f_summary")
    expect(summary).to_be_focused()
    expect(page.locator("#field-f_summary .field-error")).to_have_text("This field is required.")
    assert in_viewport(page, summary)
    # Typing in the field takes its "required" mark away.
    page.keyboard.type("Caller asked for the opening hours.")
    expect(page.locator("#field-f_summary .field-error")).to_have_count(0)
    expect(page.locator("#save-state")).to_have_text(SAVED_AT)
    report.refresh_from_db()
    assert report.status == Status.DRAFT and report.values["summary"] == "Caller asked for the opening hours."


def test_the_keyboard_saves_and_submits_and_the_landing_page_says_submitted(
    cast: Cast, page: Page, login: Login
) -> None:
    login(page, cast.specialist)
    report = open_editor(page)
    expect(page.locator("#shortcuts")).to_contain_text("Ctrl+Enter submits")
    page.fill("#id_f_summary", "Saved with the keyboard")
    page.keyboard.press("Control+s")
    expect(page.locator("#save-state")).to_have_text(SAVED_AT)
    report.refresh_from_db()
    assert report.values["summary"] == "Saved with the keyboard"
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(rf"/reports/{report.public_id}/$"))
    expect(page.locator(".messages")).to_have_text("Report submitted.")
    expect(page.locator("#report-status")).to_have_text("Submitted")
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED


def test_the_editor_uses_the_width_of_the_screen_and_stacks_on_a_phone(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    page.set_viewport_size({"width": 1366, "height": 768})
    open_editor(page)
    form = page.locator("section.editor").bounding_box()
    facts = page.locator("#call-facts").bounding_box()
    earlier = page.locator("#earlier-calls").bounding_box()
    assert form is not None and facts is not None and earlier is not None
    assert facts["x"] >= form["x"] + form["width"] and earlier["x"] >= form["x"] + form["width"]
    assert form["width"] > 900
    # The E.164 reading sits under Phone; a choice's label does not read as a field's name.
    expect(page.locator("#field-phone #phone-normalised")).to_contain_text("E.164 +19991234567")
    weight = "el => getComputedStyle(el).fontWeight"
    assert page.locator("label[for=id_f_summary]").evaluate(weight) == "600"

    page.set_viewport_size({"width": 390, "height": 844})
    form = page.locator("section.editor").bounding_box()
    facts = page.locator("#call-facts").bounding_box()
    assert form is not None and facts is not None
    assert facts["y"] >= form["y"] + form["height"]
    # Nothing runs off a phone's screen: a wider page would carry the sticky bar off it too.
    assert form["x"] >= 0 and form["x"] + form["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert in_viewport(page, page.locator("#submit-button"))


def test_choice_labels_read_unlike_field_labels(cast: Cast, page: Page, login: Login) -> None:
    publish_revision(cast.form_a, {"fields": EVERY_TYPE})
    login(page, cast.specialist)
    open_editor(page)
    weight = "el => getComputedStyle(el).fontWeight"
    assert page.locator("label[for=id_f_topics_0]").evaluate(weight) == "400"
    assert page.locator("#field-f_topics legend").evaluate(weight) == "600"


def test_a_submit_clicked_while_an_autosave_is_on_its_way_is_not_a_conflict(
    live_url: str, cast: Cast, page: Page, login: Login
) -> None:
    # Each autosave answers late (the server or the network is slow), so the specialist clicks
    # Submit while one is still on its way: the submit must carry the version that save returns.
    login(page, cast.specialist)
    # No agent sent: the first save fills in the specialist, so the saved version differs from
    # the page's, and a submit carrying the version from before that save is refused as a conflict.
    page.goto("/Telephony/GetCallReport?reportVer=9991234&ani=999-123-4567")
    expect(page.locator("#report-form[data-ready=true]")).to_be_visible()
    report = CallReport.objects.get(public_id=page.url.rstrip("/").split("/")[-1])

    def slow_save(route: Route) -> None:
        time.sleep(1.5)
        route.continue_()

    page.route(re.compile(r"/reports/[0-9a-f-]+/save$"), slow_save)
    page.fill("#id_f_summary", "Caller asked about opening hours.")
    expect(page.locator("#save-state")).to_have_text(re.compile("Saving"), timeout=10_000)
    page.locator("#submit-button").click()
    expect(page.locator(".messages")).to_contain_text("submitted", ignore_case=True, timeout=15_000)
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
    assert report.values["summary"] == "Caller asked about opening hours."
