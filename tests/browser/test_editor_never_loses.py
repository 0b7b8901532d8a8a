"""Issue 3 in a real browser: autosave, offline, leaving with unsaved work, double submit,
two tabs, an expired session. Nothing typed is lost; unsaved work is never shown as saved."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from playwright.sync_api import BrowserContext, Dialog, Page, expect

from calldesk.reports.models import CallReport, Status
from tests.browser.conftest import Login, submit_login_form
from tests.cast import Cast

URL = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&dnis=8886201111&language=112211"


def open_editor(page: Page) -> CallReport:
    page.goto(URL)
    # The editor's script has wired up autosave and the buttons (it loads deferred).
    expect(page.locator("#report-form[data-ready=true]")).to_be_visible()
    return CallReport.objects.get(public_id=page.url.rstrip("/").split("/")[-1])


def wait_saved(page: Page) -> None:
    expect(page.locator("#save-state")).to_contain_text("Draft saved at")


def test_typing_saves_by_itself_and_a_reload_shows_it(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    report = open_editor(page)
    page.fill("#id_f_summary", "Caller is worried about a friend")
    page.select_option("#id_f_risk", "true")
    expect(page.locator("#save-state")).to_have_text("Unsaved changes")
    wait_saved(page)
    page.reload()
    expect(page.locator("#id_f_summary")).to_have_value("Caller is worried about a friend")
    expect(page.locator("#id_f_risk")).to_have_value("true")
    report.refresh_from_db()
    assert report.values["summary"] == "Caller is worried about a friend"


def test_offline_typing_is_kept_and_saved_when_back(
    cast: Cast, page: Page, context: BrowserContext, login: Login
) -> None:
    login(page, cast.specialist)
    report = open_editor(page)
    context.set_offline(True)
    page.fill("#id_f_summary", "typed while the network was down")
    expect(page.locator("#save-state")).to_contain_text("Offline")
    expect(page.locator("#id_f_summary")).to_have_value("typed while the network was down")
    context.set_offline(False)
    wait_saved(page)
    report.refresh_from_db()
    assert report.values["summary"] == "typed while the network was down"


def test_leaving_with_unsaved_changes_warns(cast: Cast, page: Page, context: BrowserContext, login: Login) -> None:
    login(page, cast.specialist)
    open_editor(page)
    context.set_offline(True)  # so the change cannot be saved before we try to leave
    page.fill("#id_f_summary", "not saved yet")
    expect(page.locator("#save-state")).not_to_contain_text("saved at")
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", on_dialog)
    page.close(run_before_unload=True)
    expect(page.locator("#id_f_summary")).to_have_value("not saved yet")
    assert dialogs == ["beforeunload"]


def test_a_saved_page_leaves_without_a_warning(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    open_editor(page)
    page.fill("#id_f_summary", "saved")
    wait_saved(page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.goto("/reports/")
    assert dialogs == []


def test_a_double_click_on_submit_makes_one_report(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    report = open_editor(page)
    page.fill("#id_f_summary", "done")
    page.locator("#submit-button").dblclick()
    expect(page.locator("#report-status")).to_have_text("Submitted")
    assert CallReport.objects.filter(status=Status.SUBMITTED).count() == 1
    assert report.changes.filter(action="submitted").count() == 1


def test_a_second_tab_saving_over_the_first_is_shown_the_conflict(
    cast: Cast, page: Page, context: BrowserContext, login: Login
) -> None:
    login(page, cast.specialist)
    open_editor(page)
    second = context.new_page()
    second.goto(page.url)
    expect(second.locator("#report-form[data-ready=true]")).to_be_visible()
    page.fill("#id_f_summary", "first tab's words")
    wait_saved(page)
    second.fill("#id_f_summary", "second tab's words")
    expect(second.locator("#conflict-panel")).to_contain_text("first tab's words")
    expect(second.locator("#save-state")).to_contain_text("Not saved")
    expect(second.locator("#id_f_summary")).to_have_value("second tab's words")
    second.click("#keep-mine")
    expect(second.locator("#save-state")).to_contain_text("Draft saved at")
    page.reload()
    expect(page.locator("#id_f_summary")).to_have_value("second tab's words")


def test_an_expired_session_asks_to_log_in_and_loses_nothing(cast: Cast, page: Page, login: Login) -> None:
    login(page, cast.specialist)
    report = open_editor(page)
    Session.objects.all().delete()  # the session ends mid-call (timeout, admin, server restart)
    page.fill("#id_f_summary", "typed after the session ended")
    expect(page.locator("#save-state")).to_contain_text("session has ended")
    with page.context.expect_page() as opened:
        page.click("#login-again")
    login_tab = opened.value
    submit_login_form(login_tab, cast.specialist)
    expect(login_tab.locator(".topbar .who")).to_contain_text(cast.specialist.display_name)
    login_tab.close()
    page.bring_to_front()
    wait_saved(page)
    report.refresh_from_db()
    assert report.values["summary"] == "typed after the session ended"
