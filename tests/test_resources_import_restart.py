"""A directory import from the admin page, its server SIGKILLed while the import writes: after the
restart the job's page says it was interrupted (upload the file again), and nothing of the file
was imported (one transaction, never committed)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from calldesk.resources import jobs
from calldesk.resources.generate import make_directory, write_datapackage
from tests.cast import PASSWORD
from tests.server_process import Server, csrf_header, fetch_rows, login, manage, scratch_database
from tests.test_resources_admin import zipped

pytestmark = pytest.mark.slow


def test_an_import_killed_with_its_server_is_shown_interrupted_and_left_nothing(tmp_path: Path) -> None:
    folder = write_datapackage(make_directory(services=4000, locations=2000, terms=40), tmp_path / "big")
    archive = zipped(folder).getvalue()
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        manage(database_url, "shell", "-c", "from tests.cast import make_cast; make_cast()")
        server = Server(database_url)
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                login(client, "ada@lifeline.example", PASSWORD)
                client.get("/resources/admin/")
                started = client.post(
                    "/resources/admin/", files={"file": ("big.zip", archive)}, headers=csrf_header(client)
                )
                assert started.status_code == 202, started.text[:300]
                status_url = started.json()["status_url"]
                # Kill once the import writes (its row says the reading is done), before it ends.
                deadline = time.monotonic() + 120
                status = started.json()["job"]
                while time.monotonic() < deadline and status["done"] < 30 and not status["finished"]:
                    time.sleep(0.05)
                    status = client.get(status_url, headers={"Accept": "application/json"}).json()
                assert not status["finished"] and status["done"] >= 30, status
                server.kill()
                server.start()  # back on the same database and port, in new processes; the session is kept
                after = client.get(status_url, headers={"Accept": "application/json"}).json()
        finally:
            server.stop()
        services = fetch_rows(database_url, "SELECT COUNT(*) FROM resources_service")[0][0]
    assert after["state"] == "failed" and after["problems"] == [jobs.INTERRUPTED]
    assert services == 0
