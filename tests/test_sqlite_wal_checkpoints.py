"""On SQLite the server keeps its database connections open between requests; the write-ahead
log is still copied back into the database as it fills, so it stays a few megabytes however
many calls are written (it would otherwise grow until the server stops)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from django.conf import settings

from tests.cast import PASSWORD
from tests.server_process import Server, fetch_rows, login, manage, scratch_database

pytestmark = pytest.mark.slow
POPS = 200
NOTE = "n" * 6000  # a long parameter: every call stores its URL's parameters


@pytest.mark.skipif("sqlite" not in settings.DATABASES["default"]["ENGINE"], reason="SQLite's write-ahead log")
def test_the_write_ahead_log_stays_small_while_the_server_writes_many_calls() -> None:
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        manage(database_url, "shell", "-c", "from tests.cast import make_cast; make_cast()")
        wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
        server = Server(database_url)
        server.start()
        try:
            largest = 0
            with httpx.Client(base_url=server.url) as client:
                login(client, "sam@lifeline.example", PASSWORD)
                for n in range(POPS):
                    pop = client.get(f"/Telephony/GetCallReport?reportVer=9991234&ani=2125550{n:03d}&note={NOTE}")
                    assert pop.status_code == 303
                    largest = max(largest, wal.stat().st_size if wal.exists() else 0)
        finally:
            server.stop()
        assert fetch_rows(database_url, "SELECT COUNT(*) FROM telephony_call") == [(POPS,)]
        # More than 8 MB of pages were written; SQLite checkpoints at 1000 pages (about 4 MB)
        # and then writes the log again from its start.
        assert largest < 6_000_000, f"the write-ahead log grew to {largest:,} bytes"
