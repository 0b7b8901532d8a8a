"""Imminent risk in real Chromium, two browsers on one `calldesk serve` (the console's stream
needs it): a specialist raises from the editor, the supervisor's console alerts, the supervisor
takes it and the alert clears; the report refuses to submit until the record has an outcome."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.cast import PASSWORD
from tests.push_servers import Serve, environment, make_cast, run_cli
from tests.server_process import scratch_database

pytestmark = pytest.mark.slow

POP = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567&dnis=8886201111"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    folder = tmp_path_factory.mktemp("risk")
    with scratch_database() as database_url:
        env = environment(database_url, None)
        run_cli(env, "migrate", "-v0")
        make_cast(env)
        serve = Serve(env, folder / "serve.log")
        try:
            serve.start()
            yield serve
        finally:
            serve.stop()


def logged_in(browser: Browser, server: Serve, email: str, goto: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    page.goto(goto)  # login required: the login form comes first
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    return context, page


def test_a_raised_risk_alerts_the_supervisor_until_taken_and_holds_the_submit(browser: Browser, server: Serve) -> None:
    supervisor_context, console = logged_in(browser, server, "sue@lifeline.example", "/console/")
    specialist_context, editor = logged_in(browser, server, "sam@lifeline.example", POP)
    try:
        expect(console.locator("#console-connection")).to_have_attribute("data-state", "connected")
        expect(console.locator("#risk-alerts")).to_be_hidden()
        expect(editor.locator("#risk-panel")).to_be_visible()
        expect(editor.locator("#shortcuts")).to_contain_text("raises imminent risk")

        editor.fill("#id_f_summary", "Caller says she has taken pills")
        editor.click("#risk-raise")
        expect(editor.locator("#risk-state")).to_contain_text("waiting for a supervisor")

        alert = console.locator("#risk-list li")
        expect(alert).to_have_count(1)
        expect(alert).to_contain_text("on 8886201111")
        expect(alert).to_contain_text("Sam Specialist")
        expect(alert.locator(".risk-ago")).to_contain_text("s ago")
        expect(console.locator("#risk-alerts")).to_have_attribute("data-alerting", "yes")
        expect(console).to_have_title(re.compile(r"^\(1\) Imminent risk"))
        # Audible: the beep was played (or waits for a click where the browser holds sound back).
        expect(console.locator("#risk-alerts")).to_have_attribute("data-sound", re.compile("running|suspended"))

        # A reload finds the untaken alert again (a query, not the stream's memory).
        console.reload()
        expect(console.locator("#risk-list li")).to_have_count(1)
        console.locator("#risk-list .risk-take").click()
        expect(console.locator("#risk-list li")).to_have_count(0)
        expect(console.locator("#risk-alerts")).to_be_hidden()
        expect(console).not_to_have_title(re.compile("Imminent risk"))

        # The report refuses to submit until the emergency record has an outcome.
        editor.keyboard.press("Control+Enter")
        expect(editor.locator("#save-state")).to_contain_text("record the emergency")
        editor.select_option("#id_consent", "without")
        editor.select_option("#id_service", "psap")
        editor.fill("#id_reference", "PSAP-77")
        editor.fill("#id_contacted_at", "2026-12-05T21:10")
        editor.fill("#id_confirmed_at", "2026-12-05T21:30")
        editor.select_option("#id_outcome", "on_scene")
        editor.click("#risk-record-save")
        expect(editor.locator("#risk-refusal")).to_have_count(0)
        expect(editor.locator("#risk-state")).to_contain_text("taken by Sue Supervisor")
        editor.click("#submit-button")
        expect(editor.locator("body")).to_contain_text("Report submitted.")
        expect(editor.locator("#submit-button")).to_have_count(0)
    finally:
        specialist_context.close()
        supervisor_context.close()
