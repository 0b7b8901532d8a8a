"""A call from a SIP phone system, through calldesk-connector and `POST /api/calls`, shows in the
specialist's live console in Chromium and opens its draft in the report window."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS
from tests.browser.test_console import open_console
from tests.connector import sipp
from tests.connector.harness import Connector, free_port, write_settings
from tests.push_servers import CAST_SCRIPT, Serve, environment, run_cli
from tests.server_process import scratch_database

pytestmark = pytest.mark.slow

TOKEN_SCRIPT = (
    "from calldesk.accounts.models import User; from calldesk.configure.tokens import create_token; "
    "print(create_token(User.objects.get(email='ada@lifeline.example'), 'connector').raw)"
)


@pytest.fixture(scope="module")
def calldesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Serve, str]]:
    folder = tmp_path_factory.mktemp("connector-console")
    with scratch_database() as database_url:
        # `calldesk serve` refuses the public default key (the push tests' environment predates that).
        env = {**environment(database_url, None), "SECRET_KEY": secrets.token_urlsafe(50)}
        run_cli(env, "migrate", "-v0")
        run_cli(env, "shell", "-c", CAST_SCRIPT)
        token = run_cli(env, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1]
        server = Serve(env, folder / "serve.log")
        server.start()
        try:
            yield server, token
        finally:
            server.stop()


def test_a_sip_call_through_the_connector_pops_in_the_specialist_s_console(
    browser: Browser, calldesk: tuple[Serve, str], tmp_path: Path
) -> None:
    server, token = calldesk
    port = free_port()
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": server.url, "report_ver": "9991234", "agent": "34", "sink": "api", "token": token},
            "connector": {"sources": "sip"},
            "sip": {"port": str(port)},
        },
    )
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    connector = Connector(settings)
    try:
        page = context.new_page()
        open_console(page, "sam@lifeline.example")
        with page.expect_popup() as opening:
            page.click("#console-open-window")
        report_window = opening.value
        expect(report_window.locator("#report-window")).to_be_visible()
        connector.wait_for_log("SIP listening")

        call = sipp.invite(
            from_header='"Jane Caller" <sip:+12125550177@pbx.example.org>',
            request_uri=("sip:agent34@[remote_ip]:[remote_port]"),
        )
        done = sipp.run(tmp_path, sipp.ringing_then_cancelled(call, ring_ms=1500), f"127.0.0.1:{port}")
        assert done.returncode == 0, done.stdout[-2000:]

        shown = page.locator("#console-calls li", has_text="2125550177")
        expect(shown.locator(".call-line")).to_have_text("on 8886201111")
        expect(report_window).to_have_url(re.compile(r"/reports/[0-9a-f-]{36}/edit/$"))
        expect(report_window.locator("#id_phone")).to_have_value("+12125550177")
    finally:
        connector.stop()
        context.close()
