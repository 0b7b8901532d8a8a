"""End to end against a real Calldesk server: a SIP call rings the connector, the browser sink
opens exactly the telephony URL, and that URL opens the caller's draft for the logged-in specialist."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.cast import PASSWORD
from tests.connector import sipp
from tests.connector.harness import Connector, free_port, wait_until, write_settings
from tests.connector.test_connector_browser_sink import RECORDER
from tests.server_process import Server, login, manage, scratch_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calldesk() -> Iterator[tuple[Server, str]]:
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        manage(database_url, "shell", "-c", "from tests.cast import make_cast; make_cast()")
        server = Server(database_url)
        server.start()
        try:
            yield server, database_url
        finally:
            server.stop()


def test_a_sip_call_opens_the_draft_of_the_caller_through_the_browser(
    tmp_path: Path, calldesk: tuple[Server, str]
) -> None:
    server, _ = calldesk
    (tmp_path / "browser.py").write_text(RECORDER)
    opened = tmp_path / "opened.txt"
    port = free_port()
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": server.url, "report_ver": "9991234", "agent": "34", "sink": "browser"},
            "connector": {"sources": "sip"},
            "sip": {"port": str(port)},
            "sip.headers": {"X-Language": "language"},
            "browser": {"command": f"{sys.executable} {tmp_path / 'browser.py'} {opened} {{url}}"},
        },
    )
    connector = Connector(settings)
    try:
        connector.wait_for_log("SIP listening")
        call = sipp.invite(
            from_header='"Jane Caller" <sip:+12125550142@pbx.example.org>',
            to_header="<sip:8886201111@pbx.example.org>",
            headers=("X-Language: 112211",),
        )
        done = sipp.run(tmp_path, sipp.ringing_then_cancelled(call), f"127.0.0.1:{port}")
        assert done.returncode == 0, done.stdout[-2000:]
        wait_until(lambda: opened.exists() and opened.read_text().strip(), what="the browser to be opened")
    finally:
        connector.stop()

    (url,) = opened.read_text().splitlines()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == server.url and parts.path == "/Telephony/GetCallReport"
    params = dict(parse_qsl(parts.query))
    assert {k: params[k] for k in ("reportVer", "agent", "ani", "dnis", "language")} == {
        "reportVer": "9991234",
        "agent": "34",
        "ani": "+12125550142",
        "dnis": "8886201111",
        "language": "112211",
    }

    with httpx.Client(base_url=server.url, timeout=10) as browser:
        login(browser, "sam@lifeline.example", PASSWORD)
        pop = browser.get(f"{parts.path}?{parts.query}")
        assert pop.status_code == 303, pop.text[:300]
        assert "2125550142" not in pop.headers["location"]
        editor = browser.get(pop.headers["location"])
        assert editor.status_code == 200
    # What the specialist sees: the caller's number, themselves as the agent, the line's choice.
    page = editor.text
    assert re.search(r'<input[^>]*id="id_phone"[^>]*value="\+12125550142"', page) or re.search(
        r'<input[^>]*value="\+12125550142"[^>]*id="id_phone"', page
    ), "the Phone field holds the caller's number"
    assert re.search(r"<option[^>]*selected[^>]*>\s*Sam Specialist", page), "Sam is the agent"
