"""The console reminds its owner of their follow-ups that fall due, in real Chromium on a real
`calldesk serve` (the console's stream needs its event loop): one due at once, one that falls due
while the console is open; never a colleague's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.browser.test_console import open_console
from tests.push_servers import Serve, environment, make_cast, run_cli
from tests.server_process import scratch_database
from tests.test_followups_reminders import SCHEDULE

pytestmark = pytest.mark.slow


def test_the_console_lists_due_follow_ups_as_they_fall_due(browser: Browser, tmp_path: Path) -> None:
    with scratch_database() as database_url:
        env = environment(database_url, None)
        run_cli(env, "migrate", "-v0")
        make_cast(env)
        server = Serve(env, tmp_path / "serve.log", workers=1)
        server.start()
        context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        try:
            overdue, soon, kims = run_cli(env, "shell", "-c", SCHEDULE).strip().splitlines()[-1].split()
            page = context.new_page()
            open_console(page, "sam@lifeline.example")
            reminders = page.locator("#console-followups")
            expect(reminders).to_be_visible()
            items = page.locator("#console-followups-list li")
            expect(items).to_have_count(1)
            expect(items.first.get_by_role("link")).to_have_attribute("href", f"/followups/{overdue}/")
            expect(items.first).to_contain_text(re.compile(r"Call due \d{4}-\d\d-\d\d \d\d:\d\d"))
            expect(items).to_have_count(2, timeout=15_000)  # the second fell due while the page was open
            expect(page.locator(f'#console-followups-list li[data-followup="{soon}"]')).to_have_count(1)
            expect(page.locator(f'#console-followups-list li[data-followup="{kims}"]')).to_have_count(0)
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        finally:
            context.close()
            server.stop()
