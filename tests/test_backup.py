"""`calldesk backup` while the site takes calls, `calldesk restore` into an empty database: every
report, revision, call and history entry comes back identical; a wrong key, a damaged file or a
database in use is refused with a clear message and nothing restored."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from calldesk.lib.crypto import new_key
from tests.server_process import ROOT, Server, fetch_rows, login, manage, scratch_database

pytestmark = pytest.mark.slow
TABLES = ["reports_callreport", "reports_reportchange", "telephony_call", "callforms_formrevision"]


def calldesk(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "calldesk.settings", **env}
    return subprocess.run(
        [sys.executable, "-m", "calldesk.cli", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def rows(url: str) -> dict[str, dict[Any, tuple[Any, ...]]]:
    """Every row of the tables a backup must keep, by id, as stored."""
    return {table: {row[0]: row for row in fetch_rows(url, f"SELECT * FROM {table} ORDER BY id")} for table in TABLES}


def tables_of(url: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return fetch_rows(url, "SELECT name FROM sqlite_master WHERE type = 'table'") if Path(path).exists() else []
    return fetch_rows(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")


def pop_until(server: Server, stop: threading.Event, done: list[str]) -> None:
    """A specialist taking calls: a screen pop after another, each a new caller."""
    with httpx.Client(base_url=server.url, timeout=20) as client:
        login(client, "bob@acme.com", "calldesk-demo")
        n = 0
        while not stop.is_set():
            pop = client.get(f"/Telephony/GetCallReport?reportVer=1234567&agent=bob%40acme.com&ani=21255{n:05d}")
            assert pop.status_code == 303, pop.text[:300]
            done.append(pop.headers["location"])
            n += 1


@pytest.fixture(scope="module")
def source() -> Iterator[str]:
    """A database with 1,500 reports (their calls and history) as bench/generate.py writes them."""
    with scratch_database() as url:
        manage(url, "migrate", "-v0")
        environ = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
        generate = [sys.executable, "bench/generate.py", "--count", "1500", "--callers", "300", "--seed", "7"]
        subprocess.run(generate, cwd=ROOT, env=environ, check=True, capture_output=True, timeout=300)
        yield url


@pytest.fixture(scope="module")
def backup_file(source: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup") / "calldesk.backup"
    made = calldesk(source, "backup", str(path))
    assert made.returncode == 0, made.stderr
    return path


def test_a_backup_under_load_restores_every_row_identically(source: str, tmp_path: Path) -> None:
    before = rows(source)
    server = Server(source)
    server.start()
    stop, popped = threading.Event(), []
    writer = threading.Thread(target=pop_until, args=(server, stop, popped))
    try:
        writer.start()
        deadline = time.monotonic() + 60
        while len(popped) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        during = len(popped)
        made = calldesk(source, "backup", str(tmp_path / "load.backup"))
        assert made.returncode == 0, made.stderr
        assert len(popped) > during, "no call was taken while the backup ran"
        time.sleep(0.5)  # and some after it
    finally:
        stop.set()
        writer.join(30)
        server.stop()
    assert (tmp_path / "load.backup").stat().st_mode & 0o777 == 0o600
    assert b"reports_callreport" not in (tmp_path / "load.backup").read_bytes()  # encrypted, not a plain dump

    with scratch_database() as target:
        assert tables_of(target) == []
        restored = calldesk(target, "restore", str(tmp_path / "load.backup"))
        assert restored.returncode == 0, restored.stderr
        back, now = rows(target), rows(source)
        for table in TABLES:
            # Everything from before the backup, each row identical; the backup's snapshot lies
            # between before and now, so whatever else it holds is identical to now.
            assert before[table].items() <= back[table].items(), table
            assert back[table].items() <= now[table].items(), table
        assert len(back["reports_callreport"]) > len(before["reports_callreport"])  # calls taken under load
        # Nothing half-copied: every report of the snapshot has its call and its history.
        report_calls = fetch_rows(target, "SELECT call_id FROM reports_callreport")
        assert {call for (call,) in report_calls} <= set(back["telephony_call"])
        assert set(back["reports_callreport"]) <= {
            r for (r,) in fetch_rows(target, "SELECT report_id FROM reports_reportchange")
        }
        # Every sealed value opens with the keys and every phone hash matches: nothing to re-seal.
        check = calldesk(target, "crypto", "rotate")
        assert check.returncode == 0, check.stderr
        # Every sealed table is read with the one key and nothing needs sealing again.
        tables = [line for line in check.stdout.splitlines() if line.endswith(" re-sealed.")]
        assert len(tables) >= 3 and all(line.endswith(" 0 re-sealed.") for line in tables), check.stdout


def test_restore_refuses_a_wrong_key_clearly_and_restores_nothing(backup_file: Path) -> None:
    with scratch_database() as target:
        refused = calldesk(target, "restore", str(backup_file), CALLDESK_BACKUP_KEY=new_key())
        assert refused.returncode != 0
        assert "encrypted with key" in refused.stderr and "set CALLDESK_BACKUP_KEY to the key it was made with" in (
            refused.stderr
        )
        assert tables_of(target) == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[:-100], "cut short"),
        (
            lambda data: data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1 :],
            "damaged",
        ),
        (lambda data: b"not a backup at all", "not a Calldesk backup"),
    ],
    ids=["cut-short", "one-bit-flipped", "another-file"],
)
def test_restore_refuses_a_damaged_file_and_restores_nothing(
    backup_file: Path, tmp_path: Path, damage: Any, message: str
) -> None:
    broken = tmp_path / "broken.backup"
    broken.write_bytes(damage(backup_file.read_bytes()))
    with scratch_database() as target:
        refused = calldesk(target, "restore", str(broken))
        assert refused.returncode != 0 and message in refused.stderr
        assert tables_of(target) == []


def test_restore_refuses_a_database_in_use_unless_told_to_replace_it(source: str, backup_file: Path) -> None:
    refused = calldesk(source, "restore", str(backup_file))
    assert refused.returncode != 0 and "already holds a Calldesk installation" in refused.stderr
    with scratch_database() as target:
        manage(target, "migrate", "-v0")
        replaced = calldesk(target, "restore", "--replace", str(backup_file))
        assert replaced.returncode == 0, replaced.stderr
        assert len(fetch_rows(target, "SELECT id FROM reports_callreport")) >= 1500


def test_backup_does_not_overwrite_a_file_unless_forced(source: str, backup_file: Path) -> None:
    refused = calldesk(source, "backup", str(backup_file))
    assert refused.returncode != 0 and "pass --force" in refused.stderr
