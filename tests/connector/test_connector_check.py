"""`calldesk-connector check` says in plain words what is wrong; `test-call` sends one call."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.connector.asterisk_replay import FakeAsterisk
from tests.connector.harness import CONNECTOR_DIR, ROOT, Receiver, run_cli, wait_until, write_settings


def test_wrong_settings_are_each_named_with_the_key_to_change(tmp_path: Path) -> None:
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": "calldesk.example.org", "sink": "api", "token": "abc"},
            "connector": {"sources": "sip, fax", "retry_max": "soon"},
            "sip": {"port": "99999", "honour_privacy": "perhaps", "forked_with": "everyone"},
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
        "[sip] forked_with = 'everyone': choose own_phones or other_agents.",
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


def test_check_takes_its_options_before_or_after_the_command_and_fails_on_any_problem(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, {"calldesk": {"url": "http://127.0.0.1:9", "report_ver": "9991234"}})
    for args in (["--settings", str(settings), "check"], ["check", "--settings", str(settings)]):
        done = run_bare(*args)
        assert "PROBLEM  Calldesk cannot be reached at http://127.0.0.1:9" in done.stdout, done.stderr
        assert "problem(s) found" in done.stdout and done.returncode == 1


def test_the_zipapp_exits_non_zero_when_check_finds_a_problem(tmp_path: Path) -> None:
    app = tmp_path / "calldesk-connector.pyz"
    built = subprocess.run(["bash", str(ROOT / "scripts" / "build-connector-zipapp.sh"), str(app)], capture_output=True)
    assert built.returncode == 0
    settings = write_settings(tmp_path, {"calldesk": {"url": "http://127.0.0.1:9", "report_ver": "9991234"}})
    done = subprocess.run([sys.executable, "-I", str(app), "check", "--settings", str(settings)], capture_output=True)
    assert b"problem(s) found" in done.stdout and done.returncode == 1


def ami_settings(tmp_path: Path, receiver: Receiver, asterisk: FakeAsterisk, secret: str) -> Path:
    return write_settings(
        tmp_path,
        {
            "calldesk": {"url": receiver.url, "report_ver": "9991234", "sink": "api", "token": "cdk_" + "c" * 40},
            "connector": {"sources": "ami"},
            "ami": {"port": str(asterisk.port), "username": "calldesk", "secret": secret},
        },
    )


def test_check_logs_in_to_asterisk_and_proves_what_the_connector_needs(tmp_path: Path, receiver: Receiver) -> None:
    asterisk = FakeAsterisk("run1").start()
    try:
        # A wrong secret: said, non-zero.
        done = run_cli(ami_settings(tmp_path, receiver, asterisk, "wrong"), "check")
        assert "PROBLEM  Asterisk at 127.0.0.1" in done.stdout and "refused the login" in done.stdout
        assert done.returncode == 1 and "wrong" not in done.stdout

        # The right account while calls come and go: every line ok, events seen.
        settings = ami_settings(tmp_path, receiver, asterisk, "calldesk-rig-secret")
        running = start_check(settings)
        wait_until(lambda: len(asterisk.actions) >= 2, what="the check's CoreShowChannels and QueueStatus")
        asterisk.play_until(asterisk.index_at(12.0))
        out, _ = running.communicate(timeout=60)
        assert "ok       logged in to the Asterisk Manager Interface at 127.0.0.1" in out
        assert "ok       Asterisk lists the calls in progress" in out
        assert "ok       call and agent events arrive" in out
        assert running.returncode == 0, out
    finally:
        asterisk.stop()


def test_check_says_which_asterisk_permission_is_missing(tmp_path: Path, receiver: Receiver) -> None:
    # read = agent only (no call events) and write = nothing (no CoreShowChannels).
    asterisk = FakeAsterisk("run1", read=frozenset({"agent"}), write=frozenset()).start()
    try:
        running = start_check(ami_settings(tmp_path, receiver, asterisk, "calldesk-rig-secret"))
        wait_until(lambda: len(asterisk.actions) >= 2, what="the check's actions")
        out, _ = running.communicate(timeout=60)
        assert "PROBLEM  Asterisk refuses CoreShowChannels to this user: give it `write = reporting`" in out
        assert running.returncode == 1
    finally:
        asterisk.stop()
    asterisk = FakeAsterisk("run1", read=frozenset({"agent"})).start()
    try:
        running = start_check(ami_settings(tmp_path, receiver, asterisk, "calldesk-rig-secret"))
        wait_until(lambda: len(asterisk.actions) >= 2, what="the check's actions")
        asterisk.play_until(asterisk.index_at(2.0))  # call 1 begins: channels come, no call event
        out, _ = running.communicate(timeout=60)
        assert "PROBLEM  channels came and went but no call event arrived" in out, out
        assert "`read = call,agent`" in out and running.returncode == 1
    finally:
        asterisk.stop()


def start_check(settings: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(CONNECTOR_DIR)}
    return subprocess.Popen(
        [sys.executable, "-m", "calldesk_connector", "check", "--settings", str(settings)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def run_bare(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(CONNECTOR_DIR)}
    return subprocess.run(
        [sys.executable, "-m", "calldesk_connector", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_settings_are_checked_even_when_python_drops_asserts(tmp_path: Path) -> None:
    settings = write_settings(
        tmp_path, {"calldesk": {"url": "http://127.0.0.1:9", "report_ver": "1"}, "connector": {"retry_max": "99999"}}
    )
    env = {**os.environ, "PYTHONPATH": str(CONNECTOR_DIR)}
    done = subprocess.run(
        [sys.executable, "-O", "-m", "calldesk_connector", "check", "--settings", str(settings)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "[connector] retry_max = '99999': give a number of seconds between 0.1 and 3600." in done.stderr
