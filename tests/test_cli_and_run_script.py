"""`calldesk --help` and `--version` speak of Calldesk; `scripts/run.sh --port N` prints URLs
with that port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.server_process import ROOT, free_port, scratch_database


def calldesk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
    return subprocess.run(
        [sys.executable, "-m", "calldesk.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_help_lists_calldesks_own_commands_with_what_each_does() -> None:
    for args in (["--help"], ["help"], []):
        done = calldesk(*args)
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert "Calldesk's commands:" in out
        for line in (
            "serve ",
            "Start Calldesk's production web server",
            "demo ",
            "Load the demo organization",
            "config ",
            "Import or export organizations",
            "retention ",
            "migrate ",
        ):
            assert line in out, (args, line)
        assert "[auth]" not in out  # not Django's list of every app's commands


def test_help_for_django_and_for_one_command_still_work() -> None:
    assert "[auth]" in calldesk("help", "--django").stdout
    assert "--port PORT" in calldesk("help", "serve").stdout


def test_version_is_calldesks() -> None:
    from importlib.metadata import version

    import django

    done = calldesk("--version")
    assert done.stdout.strip() == f"calldesk {version('calldesk')}"
    assert django.get_version() not in done.stdout or version("calldesk") == django.get_version()


@pytest.mark.slow
def test_run_sh_prints_the_demo_urls_with_the_port_it_was_given() -> None:
    port = free_port()
    with scratch_database() as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
        env.pop("PORT", None)
        process = subprocess.Popen(
            ["bash", "scripts/run.sh", "--port", str(port), "--workers", "1", "--skip-collectstatic"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
        )
        output = ""
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 120
            while "==> Starting Calldesk" not in output and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                output += line
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)
    assert f"http://127.0.0.1:{port}/Telephony/GetCallReport?reportVer=9991234" in output, output
    assert ":8000" not in output
    assert not (Path(ROOT) / "calldesk.egg-info").exists() or _ignored("calldesk.egg-info")


def _ignored(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0
