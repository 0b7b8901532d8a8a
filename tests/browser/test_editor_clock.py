"""The editor's "Draft saved at" is the organization's time, like every time Calldesk shows,
not the clock of the browser (a specialist working from another zone, or a wrong PC clock)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Login
from tests.cast import Cast


def test_draft_saved_at_is_the_organizations_time_not_the_browsers(
    cast: Cast, browser: Browser, live_url: str, login: Login
) -> None:
    # The browser believes it is in Tokyo; the organization is in New York.
    context = browser.new_context(base_url=live_url, timezone_id="Asia/Tokyo", locale="en-US")
    try:
        page = context.new_page()
        login(page, cast.specialist)
        page.goto("/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567")
        before = datetime.now(UTC)
        page.fill("#id_f_dialled_number", "typed")
        expect(page.locator("#save-state")).to_contain_text("Draft saved at")
        after = datetime.now(UTC)
        shown = re.search(r"\d\d:\d\d:\d\d", page.locator("#save-state").inner_text())
        assert shown is not None
        new_york = ZoneInfo(cast.org_a.time_zone)
        moments = [before + timedelta(seconds=s) for s in range(int((after - before).total_seconds()) + 2)]
        assert shown.group() in {m.astimezone(new_york).strftime("%H:%M:%S") for m in moments}
    finally:
        context.close()
