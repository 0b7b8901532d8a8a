"""The live console in real Chromium, on a `calldesk serve` other than the one a phone system posts
the call to (POST /api/calls): the draft opens in the report window, a disconnected console
catches up, supervisors see the organization's calls move. Once on the embedded default
(database channel), once through Redis."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.cast import PASSWORD
from tests.push_servers import PhoneSystem, Serve, environment, make_cast, run_cli, unique_channel
from tests.server_process import scratch_database

pytestmark = pytest.mark.slow

FORM = "9991234"
EDITOR = re.compile(r"/reports/[0-9a-f-]{36}/edit/$")


@dataclass
class Servers:
    phone_system: PhoneSystem  # posts to the first server
    console: Serve  # the second server, where the console is open

    def push(self, ani: str, agent: str = "sam@lifeline.example") -> dict[str, str]:
        return self.phone_system.post_call(ani, agent, form=FORM)


@pytest.fixture(scope="module", params=["database", "redis"])
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    channel = unique_channel() if request.param == "redis" else None
    folder = tmp_path_factory.mktemp(f"console-{request.param}")
    with scratch_database() as database_url:
        env = environment(database_url, channel)
        run_cli(env, "migrate", "-v0")
        token = make_cast(env)
        posting, console = Serve(env, folder / "a.log"), Serve(env, folder / "b.log")
        try:
            posting.start()
            console.start()
            phone_system = PhoneSystem(posting.url, token)
            yield Servers(phone_system, console)
            phone_system.close()
        finally:
            posting.stop()
            console.stop()


@pytest.fixture
def console_page(browser: Browser, servers: Servers) -> Iterator[Page]:
    context = browser.new_context(base_url=servers.console.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_console(page: Page, email: str) -> None:
    page.goto("/console/")  # login required: the login form comes first, then the console
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.locator("#console-connection")).to_have_attribute("data-state", "connected")


def test_a_call_recorded_by_another_server_opens_its_draft_in_the_report_window(
    servers: Servers, console_page: Page
) -> None:
    open_console(console_page, "sam@lifeline.example")
    with console_page.expect_popup() as opening:
        console_page.click("#console-open-window")
    report_window = opening.value
    expect(report_window.locator("#report-window")).to_be_visible()

    pushed = servers.push("9995550301")

    call = console_page.locator(f'#console-calls li[data-call="{pushed["call"]}"]')
    expect(call.locator(".call-who")).to_have_text("9995550301")
    expect(call.locator(".call-line")).to_have_text("on 8886201111")
    expect(call.locator(".call-ago")).to_contain_text("s ago")
    expect(report_window).to_have_url(re.compile(rf"/reports/{pushed['report']}/edit/$"))
    expect(report_window.locator("#id_phone")).to_have_value("9995550301")


def test_without_the_report_window_the_call_shows_with_a_link_to_its_draft(
    servers: Servers, console_page: Page
) -> None:
    open_console(console_page, "sam@lifeline.example")
    pushed = servers.push("9995550302")
    link = console_page.locator(f'#console-calls li[data-call="{pushed["call"]}"] a.call-open')
    expect(link).to_have_attribute("href", f"/reports/{pushed['report']}/edit/")


def test_a_console_disconnected_while_two_calls_were_pushed_shows_both_when_it_reconnects(
    servers: Servers, console_page: Page
) -> None:
    open_console(console_page, "sam@lifeline.example")
    servers.console.stop()
    expect(console_page.locator("#console-connection")).to_have_attribute("data-state", "reconnecting")
    missed = [servers.push("9995550303"), servers.push("9995550304")]
    servers.console.start()  # same port: the console reconnects by itself
    expect(console_page.locator("#console-connection")).to_have_attribute("data-state", "connected", timeout=30_000)
    for pushed in missed:
        expect(console_page.locator(f'#console-calls li[data-call="{pushed["call"]}"]')).to_be_visible()


def test_another_specialists_console_never_shows_the_call(servers: Servers, console_page: Page) -> None:
    open_console(console_page, "kim@lifeline.example")
    pushed = servers.push("9995550305")
    other = servers.push("9995550306", agent="kim@lifeline.example")  # pushed after, to Kim
    expect(console_page.locator(f'#console-calls li[data-call="{other["call"]}"]')).to_be_visible()
    expect(console_page.locator(f'li[data-call="{pushed["call"]}"]')).to_have_count(0)


def test_the_supervisors_console_shows_calls_ringing_talking_and_unassigned(
    servers: Servers, console_page: Page
) -> None:
    open_console(console_page, "sue@lifeline.example")
    board = console_page.locator("#console-board")
    pushed = servers.push("9995550307")
    expect(board.locator(f'ul[data-column="ringing"] li[data-call="{pushed["call"]}"]')).to_contain_text(
        "Sam Specialist"
    )
    servers.phone_system.answer(pushed["callId"], "sam@lifeline.example")
    expect(board.locator(f'ul[data-column="talking"] li[data-call="{pushed["call"]}"]')).to_be_visible()
    expect(board.locator(f'ul[data-column="ringing"] li[data-call="{pushed["call"]}"]')).to_have_count(0)
    nobody = servers.push("9995550308", agent="nobody@lifeline.example")
    expect(board.locator(f'ul[data-column="unassigned"] li[data-call="{nobody["call"]}"]')).to_be_visible()
    servers.phone_system.hang_up(pushed["call"])
    expect(board.locator(f'li[data-call="{pushed["call"]}"]')).to_have_count(0)
    # A call shown on the board is no pop: the supervisor's own list stays empty.
    expect(console_page.locator("#console-calls li")).to_have_count(0)


def test_a_logged_out_console_says_so(servers: Servers, console_page: Page) -> None:
    open_console(console_page, "sam@lifeline.example")
    console_page.context.clear_cookies()
    servers.console.stop()  # the open stream ends; reconnecting without a session is refused
    servers.console.start()
    expect(console_page.locator("#console-connection")).to_have_attribute("data-state", "loggedout", timeout=30_000)
