"""`calldesk crypto rotate`: every row ends sealed with the first key, reads the same, and a run
killed halfway finishes when run again without redoing what was done."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from calldesk.lib.crypto import key_id, keyring, new_key, phone_hash
from calldesk.lib.sealed import EMPTY_JSON, is_sealed_value
from calldesk.reports.models import CallReport, ReportChange
from calldesk.telephony.models import Call
from tests.cast import Cast
from tests.reportdata import CALLER_E164, Known, make_known
from tests.server_process import ROOT, fetch_rows, manage, scratch_database

NEW = new_key()
NEW_ID = key_id(base64.urlsafe_b64decode(NEW))
SEALED_COLUMNS = {
    "reports_callreport": ["phone_raw", "phone_e164"],
    "telephony_call": ["params", "unmapped", "notices", "resolved"],
    "reports_reportchange": ["changes"],
}


def old_key() -> str:
    return os.environ["CALLDESK_DATA_KEYS"].split(",")[0]


def key_ids_in(rows: dict[str, list[tuple[Any, ...]]]) -> set[str]:
    """The key ids of every sealed value stored in these raw rows; 'plain' for a value left in clear."""
    found = set()
    for table, table_rows in rows.items():
        for row in table_rows:
            for value in row:
                if value in (None, "") or value in EMPTY_JSON:
                    continue
                found.add(value[4:12] if value.startswith("cd1:") else f"plain in {table}")
    return found


def raw_rows(read: Any) -> dict[str, list[tuple[Any, ...]]]:
    rows = {t: read(f"SELECT {', '.join(columns)} FROM {t} ORDER BY id") for t, columns in SEALED_COLUMNS.items()}
    stored = read('SELECT "values" FROM reports_callreport ORDER BY id')
    values = [json.loads(v) if isinstance(v, str) else v for (v,) in stored]
    rows["personal values"] = [(v["cd"],) for item in values for v in item.values() if is_sealed_value(v)]
    return rows


def read_here(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def plain_snapshot() -> list[Any]:
    reports = [(r.pk, r.phone_raw, r.phone_e164, r.phone_hash, r.values) for r in CallReport.objects.order_by("pk")]
    calls = [(c.pk, c.params, c.unmapped, c.notices, c.resolved) for c in Call.objects.order_by("pk")]
    return [reports, calls, [(c.pk, c.changes) for c in ReportChange.objects.order_by("pk")]]


@pytest.fixture
def known(cast: Cast) -> Known:
    return make_known(cast)


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("crypto", "rotate", *args, stdout=out)
    return out.getvalue()


def test_rotate_reseals_every_row_with_the_first_key_and_reads_the_same(known: Known) -> None:
    before = plain_snapshot()
    assert key_ids_in(raw_rows(read_here)) == {keyring().primary.id}
    with override_settings(CALLDESK_DATA_KEYS=[NEW, old_key()]):
        out = rotate("--batch", "2")
        assert key_ids_in(raw_rows(read_here)) == {NEW_ID}
        assert plain_snapshot() == before
        assert "re-sealed" in out and f"every row is sealed with key {NEW_ID}" in out
        again = rotate()
        assert "reports_callreport: 7 rows read, 0 re-sealed." in again
        assert "telephony_call: 7 rows read, 0 re-sealed." in again
    with override_settings(CALLDESK_DATA_KEYS=[NEW]):  # the old key is no longer needed
        assert plain_snapshot() == before


def test_rotate_refuses_clearly_when_the_old_key_was_dropped_too_early(known: Known) -> None:
    with override_settings(CALLDESK_DATA_KEYS=[NEW]), pytest.raises(CommandError, match="add the old key back"):
        rotate()


def test_rotate_seals_rows_written_before_encryption_and_fills_their_hash(known: Known) -> None:
    # As an installation from before this release left them: in clear, no hash.
    report = known.r1
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE reports_callreport SET phone_raw = %s, phone_e164 = %s, phone_hash = '', \"values\" = %s"
            " WHERE id = %s",
            ["999-123-4567", CALLER_E164, json.dumps({"summary": "Upset about RENT"}), report.pk],
        )
        cursor.execute(
            "UPDATE telephony_call SET params = %s WHERE id = %s", ['[["ani", "999-123-4567"]]', report.call_id]
        )
    assert "plain in reports_callreport" in key_ids_in(raw_rows(read_here))
    assert CallReport.objects.get(pk=report.pk).values == {"summary": "Upset about RENT"}  # read as it is
    assert not CallReport.objects.filter(pk=report.pk, phone_hash=phone_hash(CALLER_E164)).exists()
    rotate()
    assert key_ids_in(raw_rows(read_here)) == {keyring().primary.id}
    upgraded = CallReport.objects.get(pk=report.pk, phone_hash=phone_hash(CALLER_E164))
    assert (upgraded.phone_raw, upgraded.values) == ("999-123-4567", {"summary": "Upset about RENT"})
    assert upgraded.call is not None and upgraded.call.params == [["ani", "999-123-4567"]]


@pytest.mark.slow
def test_a_rotation_killed_halfway_finishes_when_run_again(db: None) -> None:
    with scratch_database() as url:
        manage(url, "migrate", "--verbosity", "0")
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "calldesk.settings"}
        generate = [sys.executable, "bench/generate.py", "--count", "1500", "--callers", "200", "--seed", "3"]
        subprocess.run(generate, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)

        def read(sql: str) -> list[tuple[Any, ...]]:
            return fetch_rows(url, sql)

        def opened() -> list[Any]:
            with override_settings(CALLDESK_DATA_KEYS=[NEW, old_key()]):
                from calldesk.lib.crypto import unseal

                rows = raw_rows(read)
                return [unseal(v) if isinstance(v, str) else v for table in rows.values() for row in table for v in row]

        before = opened()
        assert key_ids_in(raw_rows(read)) == {keyring().primary.id}
        command = [sys.executable, "-m", "calldesk.cli", "crypto", "rotate", "--batch", "10", "-v", "2"]
        rotating = {**env, "CALLDESK_DATA_KEYS": f"{NEW},{old_key()}"}
        process = subprocess.Popen(command, cwd=ROOT, env=rotating, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if "reports_callreport: 100 rows read" in line:
                process.send_signal(signal.SIGKILL)
                break
        process.wait(30)
        assert process.returncode == -signal.SIGKILL, "the rotation ended before it could be killed"
        assert key_ids_in(raw_rows(read)) == {keyring().primary.id, NEW_ID}  # halfway

        finished = subprocess.run(command, cwd=ROOT, env=rotating, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stderr[-2000:]
        assert "telephony_call: 1500 rows read, 0 re-sealed." in finished.stdout  # done before the kill
        resealed = int(finished.stdout.split("reports_callreport: 1500 rows read, ")[1].split(" ")[0])
        assert 0 < resealed <= 1400  # the first 100 were not written again
        assert key_ids_in(raw_rows(read)) == {NEW_ID}
        assert opened() == before
