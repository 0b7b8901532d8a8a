"""The supervisors' board and the specialist's console in real Chromium, across two `calldesk serve`
processes (the phone system and the telephony URL on one, the consoles on the other), once on the
embedded default (database channel) and once through Redis: every call shows its true state
live (ringing → talking, answered by whom → gone when it ends or its report is finished), and a
reopened console shows the calls that still wait for its specialist."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.browser.test_console import Servers, open_console
from tests.browser.test_console import servers as servers
from tests.cast import PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts made by the test (each one a person's browser), closed after it."""
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()  # closing one the test closed already does nothing


def new_page(browser: Browser, contexts: list[BrowserContext], base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    contexts.append(context)
    return context.new_page()


def test_the_board_shows_each_calls_true_state_live_from_the_api_and_the_telephony_url(
    servers: Servers,
    browser: Browser,
    contexts: list[BrowserContext],
) -> None:
    supervisor = new_page(browser, contexts, servers.console.url)
    open_console(supervisor, "sue@lifeline.example")
    board = supervisor.locator("#console-board")

    # From the API: ringing, then answered (Zammad's answer) → talking, by whom; then hung up → gone.
    posted = servers.push("9995550601")
    ringing = board.locator(f'ul[data-column="ringing"] li[data-call="{posted["call"]}"]')
    expect(ringing).to_contain_text("Sam Specialist")
    servers.phone_system.answer(posted["callId"], "sam@lifeline.example")
    talking = board.locator(f'ul[data-column="talking"] li[data-call="{posted["call"]}"]')
    expect(talking.locator(".call-answered")).to_contain_text(
        re.compile(r"answered by Sam Specialist, talking for \d+ s")
    )
    expect(ringing).to_have_count(0)
    servers.phone_system.hang_up(posted["call"])
    expect(board.locator(f'li[data-call="{posted["call"]}"]')).to_have_count(0)

    # From the telephony URL, opened in Kim's browser on the other server: talking at once,
    # answered by Kim; closing the report (a hang-up) takes it off the board: no hang-up ever comes.
    kim = new_page(browser, contexts, str(servers.phone_system.client.base_url).rstrip("/"))
    kim.goto("/Telephony/GetCallReport?reportVer=9991234&agent=35&ani=9995550602&dnis=8886201111")
    kim.fill("#id_username", "kim@lifeline.example")
    kim.fill("#id_password", PASSWORD)
    kim.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(kim.locator("button[value=hang_up]")).to_be_visible()  # the draft's editor
    url_call = board.locator('ul[data-column="talking"] li', has_text="9995550602")
    expect(url_call.locator(".call-answered")).to_contain_text("answered by Kim Specialist")
    kim.locator("button[value=hang_up]").click()
    expect(kim.get_by_text("Closed as hang-up.")).to_be_visible()
    expect(board.locator("li", has_text="9995550602")).to_have_count(0)

    # Reloaded, the board starts with the same live calls only.
    unanswered = servers.push("9995550603")
    supervisor.reload()
    expect(board.locator(f'ul[data-column="ringing"] li[data-call="{unanswered["call"]}"]')).to_be_visible()
    expect(board.locator("li")).to_have_count(1)


def test_a_reopened_console_shows_every_call_that_still_waits_for_its_specialist(
    servers: Servers,
    browser: Browser,
    contexts: list[BrowserContext],
) -> None:
    sam = new_page(browser, contexts, servers.console.url)
    open_console(sam, "sam@lifeline.example")
    waiting = servers.push("9995550611")
    answered = servers.push("9995550612")
    ended = servers.push("9995550613")
    for pushed in (waiting, answered, ended):
        expect(sam.locator(f'#console-calls li[data-call="{pushed["call"]}"]')).to_be_visible()
    servers.phone_system.answer(answered["callId"], "sam@lifeline.example")
    servers.phone_system.hang_up(ended["call"])

    sam.reload()  # a reload: the calls that still wait are there, the ended one is not
    expect(sam.locator("#console-connection")).to_have_attribute("data-state", "connected")
    expect(sam.locator(f'#console-calls li[data-call="{waiting["call"]}"]')).to_have_count(1)
    expect(sam.locator(f'#console-calls li[data-call="{answered["call"]}"] .call-state')).to_have_text("talking")
    expect(sam.locator(f'#console-calls li[data-call="{ended["call"]}"]')).to_have_count(0)
    link = sam.locator(f'#console-calls li[data-call="{waiting["call"]}"] a.call-open')
    expect(link).to_have_attribute("href", f"/reports/{waiting['report']}/edit/")
    expect(sam.locator("#console-empty")).to_be_hidden()

    # The browser restarts (a new context: logged in again); the draft is submitted meanwhile
    # elsewhere (closed from its editor): it no longer waits. New calls are still pushed.
    sam.context.close()
    again = new_page(browser, contexts, servers.console.url)
    open_console(again, "sam@lifeline.example")
    expect(again.locator(f'#console-calls li[data-call="{waiting["call"]}"]')).to_be_visible()
    again.goto(f"/reports/{waiting['report']}/edit/")
    again.locator("button[value=hang_up]").click()
    expect(again.get_by_text("Closed as hang-up.")).to_be_visible()
    again.goto("/console/")
    expect(again.locator("#console-connection")).to_have_attribute("data-state", "connected")
    expect(again.locator(f'#console-calls li[data-call="{answered["call"]}"]')).to_be_visible()
    expect(again.locator(f'#console-calls li[data-call="{waiting["call"]}"]')).to_have_count(0)
    fresh = servers.push("9995550614")
    expect(again.locator(f'#console-calls li[data-call="{fresh["call"]}"].fresh')).to_be_visible()
    # Kim's console never shows Sam's calls, reloaded or not.
    kim = new_page(browser, contexts, servers.console.url)
    open_console(kim, "kim@lifeline.example")
    expect(kim.locator("#console-calls li")).to_have_count(0)
