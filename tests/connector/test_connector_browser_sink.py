"""The browser sink opens exactly the telephony URL of each call (SPEC §2), with the admin's command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from tests.connector.harness import Connector, wait_until, write_settings

RECORDER = "import sys, pathlib; pathlib.Path(sys.argv[1]).open('a').write(sys.argv[2] + '\\n')\n"


def browser_settings(tmp_path: Path, **calldesk: str) -> tuple[Path, Path]:
    recorder = tmp_path / "browser.py"
    recorder.write_text(RECORDER)
    opened = tmp_path / "opened.txt"
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": "https://calldesk.example.org", "report_ver": "9991234", "sink": "browser", **calldesk},
            "connector": {"sources": "stdin"},
            "browser": {"command": f"{sys.executable} {recorder} {opened} {{url}}"},
            "lines": {"888-620-1111": "1234567"},
        },
    )
    return settings, opened


def test_it_opens_the_telephony_url_with_every_parameter_encoded(tmp_path: Path) -> None:
    settings, opened = browser_settings(tmp_path, agent="bob@acme.com")
    connector = Connector(settings, stdin=subprocess.PIPE)
    assert connector.process.stdin is not None
    connector.process.stdin.write(
        json.dumps({"ani": "999-123-4567", "callStart": "2008-09-22T14:01:54Z", "callId": "c&1", "x": "a b"}).encode()
        + b"\n"
        + json.dumps({"ani": "+15551234567", "dnis": "8886201111", "agent": "34", "callId": "c2"}).encode()
        + b"\n"
        + json.dumps({"event": "hangup", "callId": "c2"}).encode()
        + b"\n"
    )
    connector.process.stdin.close()
    assert connector.process.wait(20) == 0
    wait_until(lambda: opened.exists() and len(opened.read_text().splitlines()) == 2, what="two tabs opened")
    # Each tab is its own browser process: which one writes first is the processes' race.
    first, second = sorted(opened.read_text().splitlines(), key=lambda url: "callId=c2" in url)
    assert first == (
        "https://calldesk.example.org/Telephony/GetCallReport?reportVer=9991234&agent=bob%40acme.com"
        "&callStart=2008-09-22T14%3A01%3A54Z&ani=999-123-4567&callId=c%261&x=a+b"
    )
    parts = urlsplit(second)
    assert parts.path == "/Telephony/GetCallReport"
    assert dict(parse_qsl(parts.query)) == {
        "reportVer": "1234567",  # the line's own form, from [lines]
        "agent": "34",  # the source's agent wins over the settings' one
        "callStart": dict(parse_qsl(parts.query))["callStart"],
        "ani": "+15551234567",
        "dnis": "8886201111",
        "callId": "c2",
    }
    assert "4567" not in connector.log()
