"""`calldesk-connector check` says in plain words what is wrong; `test-call` sends one call."""

from __future__ import annotations

import json
from pathlib import Path

from tests.connector.harness import Receiver, run_cli, write_settings


def test_wrong_settings_are_each_named_with_the_key_to_change(tmp_path: Path) -> None:
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": "calldesk.example.org", "sink": "api", "token": "abc"},
            "connector": {"sources": "sip, fax", "retry_max": "soon"},
            "sip": {"port": "99999", "honour_privacy": "perhaps"},
            "browser": {"command": "firefox"},
        },
    )
    done = run_cli(settings, "check")
    assert done.returncode == 2
    for text in (
        "[calldesk] url = 'calldesk.example.org' is not a web address: it must start with https://",
        "[calldesk] token does not look like a Calldesk API token: they start with cdk_.",
        "[calldesk] report_ver is missing",
        "[connector] sources = 'sip, fax': choose from sip, ami, stdin, webhook.",
        "[connector] retry_max = 'soon'",
        "[sip] port = '99999': give a port number between 1 and 65535.",
        "[sip] honour_privacy = 'perhaps': write yes or no.",
        "[browser] command must contain {url}",
    ):
        assert text in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_and_an_unreadable_one_say_so(tmp_path: Path) -> None:
    done = run_cli(tmp_path / "none.ini", "check")
    assert done.returncode == 2 and "There is no settings file at" in done.stderr
    broken = tmp_path / "broken.ini"
    broken.write_text("url = https://x\n")
    done = run_cli(broken, "check")
    assert done.returncode == 2 and "is not a readable settings file" in done.stderr


def test_init_writes_an_example_that_check_then_reads(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    assert run_cli(path, "init").returncode == 0
    assert run_cli(path, "init").returncode == 1, "an existing file is never overwritten"
    done = run_cli(path, "check")
    # The example points at calldesk.example.org, which cannot be reached from a test.
    assert "ok       the settings file" in done.stdout
    assert "PROBLEM  Calldesk cannot be reached at https://calldesk.example.org" in done.stdout


def test_check_reports_an_unreachable_calldesk_and_a_refused_token(tmp_path: Path, receiver: Receiver) -> None:
    down = Receiver()
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": down.url, "report_ver": "9991234", "sink": "api", "token": "cdk_x"},
            "connector": {"sources": "stdin"},
        },
    )
    done = run_cli(settings, "check")
    assert done.returncode == 1
    assert f"PROBLEM  Calldesk cannot be reached at {down.url}" in done.stdout
    assert "1 problem(s) found." in done.stdout


def test_test_call_posts_one_call_and_shows_the_answer(tmp_path: Path, receiver: Receiver) -> None:
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": receiver.url, "report_ver": "9991234", "agent": "34", "sink": "api", "token": "cdk_x"},
            "connector": {"sources": "stdin"},
        },
    )
    done = run_cli(settings, "test-call", "--dnis", "8886201111")
    assert done.returncode == 0, done.stderr
    assert ": sent - Calldesk answered 201" in done.stdout
    (body,) = receiver.calls()
    assert {k: body[k] for k in ("reportVer", "agent", "ani", "dnis")} == {
        "reportVer": "9991234",
        "agent": "34",
        "ani": "+15555550100",
        "dnis": "8886201111",
    }
    assert json.loads(done.stdout.split("\n", 1)[1])["callId"] == body["callId"]


def test_a_taken_sip_port_stops_the_connector_with_a_plain_error(tmp_path: Path, receiver: Receiver) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        settings = write_settings(
            tmp_path,
            {"calldesk": {"url": receiver.url, "report_ver": "9991234"}, "sip": {"port": str(port)}},
        )
        check = run_cli(settings, "check")
        assert f"PROBLEM  SIP port {port}/udp cannot be used (Address already in use)" in check.stdout
        done = run_cli(settings, "run", timeout=30)
    assert done.returncode == 1
    assert f"SIP cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "stopping: the sip source cannot run" in done.stderr
