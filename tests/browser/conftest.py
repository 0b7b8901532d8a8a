"""Browser tests: real Chromium (Debian's `chromium`) driven by Playwright's sync API against
pytest-django's live server, which serves the test database and the static files.

How to write one:

    def test_something(live_url: str, cast: Cast, page: Page, login: Login) -> None:
        login(page, cast.specialist)
        page.goto(live_url + "/Telephony/GetCallReport?reportVer=9991234&agent=34")
        expect(page.locator("#id_agent option:checked")).to_have_text("Sam Specialist")

Rules: wait with Playwright's `expect(...)` (it retries until a timeout), never with sleeps;
use literal URLs; every test in this folder is marked `browser` automatically
(`pytest -m "not browser"` leaves them out). Database writes in the test body work as usual:
the live server reads the same test database (`transactional_db`, so it sees committed rows).

Chromium: when `chromium` is not on PATH the browser tests FAIL, unless
CALLDESK_SKIP_BROWSER=1 is set, which skips them with a visible reason.

On a failure the page is saved as a screenshot in `test-artifacts/` and its path printed.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from pytest_django.live_server_helper import LiveServer

from calldesk.accounts.models import User
from tests.cast import PASSWORD, Cast, make_cast
from tests.twofactor import code_from_secret, next_code

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Playwright's expect() default is 5 s; a loaded CI machine gets a little more room.
EXPECT_TIMEOUT_MS = 10_000

Login = Callable[[Page, User], None]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test in tests/browser/ with `browser` (the hook sees the whole session's items)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync driver, for the duration of tests/browser/ only.

    The sync API keeps an asyncio loop marked as running in the main thread, and Django then
    refuses database calls from that thread (SynchronousOnlyOperation) — in the test body and in
    the fixtures that create and flush data. Those calls are plain synchronous code, so they are
    allowed while the driver runs, and only then: package scope stops the driver (and the
    permission) before the rest of the suite runs."""
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CALLDESK_SKIP_BROWSER") == "1":
            pytest.skip("CALLDESK_SKIP_BROWSER=1: browser tests skipped (`chromium` not on PATH)")
        pytest.fail(
            "`chromium` is not on PATH, so the browser tests cannot run. Install it (Debian: "
            "`apt-get install chromium`) or set CALLDESK_SKIP_BROWSER=1 to skip them knowingly.",
            pytrace=False,
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium (Debian's /usr/bin/chromium; Playwright's own download does not
    work here) shared by the browser tests; each test gets its own context (see `page`)."""
    executable = shutil.which("chromium")
    assert executable is not None  # checked by `playwright`
    chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    try:
        yield chromium
    finally:
        chromium.close()


class InFlight:
    """A WSGI wrapper counting the live server's requests from their start to their response's
    close, so a test's teardown can wait for the ones its closed page left behind."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.changed:
            self.count += 1
        try:
            return _Counted(self.app(environ, start_response), self._done)
        except BaseException:
            self._done()
            raise

    def _done(self) -> None:
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout)


class _Counted:
    """A response whose close (the server calls it after the last byte, or when the client went
    away) also counts the request as done."""

    def __init__(self, response: Iterable[bytes], done: Callable[[], None]) -> None:
        self.response = response
        self.done = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.response)

    def close(self) -> None:
        try:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
        finally:
            self.done()


# How long a test's teardown waits for its requests; a console's stream may outlive it (it holds
# no statement open between events).
REQUESTS_DRAIN_S = 10.0


@pytest.fixture(scope="session")
def in_flight(live_server: LiveServer) -> InFlight:
    httpd = live_server.thread.httpd
    app = httpd.get_app()
    assert app is not None  # set when the server started
    counter = InFlight(app)
    httpd.set_app(counter)
    return counter


@pytest.fixture
def live_url(live_server: LiveServer, in_flight: InFlight, transactional_db: None) -> Iterator[str]:
    """The live server's base URL, e.g. "http://localhost:41234" (no trailing slash).

    pytest-django's `live_server` runs Calldesk in a thread on the test database (SQLite's
    in-memory database is shared with it; PostgreSQL is reached through its own connection) and
    serves static files through Django's staticfiles finders. `transactional_db` because the
    server thread only sees committed data.

    After the test (its browser context is closed first, as `context` depends on this fixture)
    the requests still being answered are waited for: the session-wide server outlives the test,
    and on SQLite a request's thread shares the test's connection, so `transactional_db`'s flush
    beside a statement still open there fails with "database table is locked" (seen in CI after
    a double-clicked submit whose second POST the closed page no longer waited for)."""
    yield live_server.url
    in_flight.wait_idle(REQUESTS_DRAIN_S)


@pytest.fixture
def cast(live_url: str) -> Cast:
    """The fixed cast of tests/cast.py, created (committed) where the live server sees it.
    Overrides tests/conftest.py's `cast`, which lives in a rolled-back transaction."""
    return make_cast()


@pytest.fixture
def context(browser: Browser, live_url: str, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A fresh browser context per test: no cookies or storage leak between tests.
    `base_url` is the live server, so `page.goto("/reports/")` works too."""
    ctx = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900}, locale="en-US")
    ctx.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in this test's own context. If the test fails, a full-page screenshot is saved
    to test-artifacts/<test name>.png and its path printed, with every 5xx answer the page got
    (the server's traceback is in pytest's "Captured log" section)."""
    tab = context.new_page()
    server_errors: list[str] = []
    tab.on(
        "response",
        lambda r: server_errors.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 500 else None,
    )
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not tab.is_closed():
        for line in server_errors:
            print(f"\nserver error seen by the page: {line}")
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", request.node.nodeid) + ".png")
        try:
            tab.screenshot(path=str(path), full_page=True)
            print(f"\nscreenshot of the failed page ({tab.url}): {path}")
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"\nno screenshot of the failed page: {exc}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the test item, so `page` knows at teardown whether the test failed.
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


def _login(page: Page, user: User) -> None:
    page.goto("/accounts/login/")
    submit_login_form(page, user)
    pass_second_step(page, user)
    # Logged in: the top bar names the user.
    expect(page.locator(".topbar .who")).to_contain_text(user.display_name)


def submit_login_form(page: Page, user: User) -> None:
    """Fills and sends the login form already on `page` (e.g. after a redirect to it)."""
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()


def pass_second_step(page: Page, user: User) -> None:
    """Where the organization asks `user` for a phone code too, does what they would: the first
    time, types the key shown into an "app" (tests.twofactor) and confirms; later, types a code."""
    page.wait_for_load_state()
    if page.url.endswith("/accounts/two-factor/setup/"):
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        page.fill("#id_code", code_from_secret(secret))
        page.get_by_role("button", name="Turn on").click()
        page.get_by_role("link", name="I have kept them, continue").click()
    elif page.url.endswith("/accounts/two-factor/"):
        page.fill("#id_code", next_code(user))
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def login() -> Login:
    """`login(page, user)`: logs `user` in through the real login form (password
    tests.cast.PASSWORD) and waits until the page shows them logged in."""
    return _login
