"""Background directory imports from the admin page: the job's progress in the database (as
any serving process reads it), one import at a time per directory, a lost job given up, and
the status URL only for the directory's admins."""

from __future__ import annotations

import datetime as dt
import io
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from calldesk.resources import jobs, services
from calldesk.resources.generate import make_directory, write_datapackage
from calldesk.resources.models import ImportJob, Service
from tests.cast import Cast
from tests.test_resources_admin import JSON, admin, finished, zipped


def test_an_import_reports_every_step_in_order(cast: Cast, tmp_path: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    folder = write_datapackage(make_directory(services=5, locations=3, terms=8), tmp_path / "p")
    services.import_directory(cast.org_a, folder, lambda step, done, total: heard.append((step, done, total)))
    steps = [step for step, _, _ in heard]
    assert steps[0] == "reading organizations.csv" and "writing services.csv" in steps  # datapackage order
    assert steps[-2:] == ["updating the search index", "done"]
    assert [done for _, done, _ in heard] == sorted(done for _, done, _ in heard)
    assert heard[-1][1:] == (100, 100) and {total for _, _, total in heard} == {100}


def row_seen_from_another_connection(job_id: uuid.UUID) -> tuple[str, int]:
    """The job's row as another process would read it: on a connection of its own."""
    seen: list[tuple[str, int]] = []

    def read() -> None:
        try:
            seen.append(ImportJob.objects.filter(id=job_id).values_list("step", "done").get())
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    return seen[0]


def test_the_progress_is_in_the_database_while_the_import_runs(
    cast: Cast, transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []
    live: list[dict[str, Any]] = []
    report = jobs._progress

    def and_look(job_id: uuid.UUID, step: str, done: int) -> None:
        report(job_id, step, done)
        seen.append(row_seen_from_another_connection(job_id))
        live.append(jobs.status(ImportJob.objects.get(id=job_id)) if not connection.in_atomic_block else {})

    monkeypatch.setattr(jobs, "_progress", and_look)
    folder = write_datapackage(make_directory(services=12, locations=6, terms=8), tmp_path / "p")
    client = admin(cast)
    status = finished(client, client.post("/resources/admin/", {"file": zipped(folder)}, **JSON))
    assert status["state"] == "done" and Service.objects.count() == 12
    reading = [s for s in seen if s[0].startswith("reading")]
    assert reading and reading == sorted(reading, key=lambda s: s[1]) and reading[-1][1] < 30
    writing = [s for s in seen if s[0].startswith("writing")]
    if connection.vendor == "postgresql":
        # Every step of the write reaches the row, though the import's transaction is still open.
        assert ("writing services.csv", 30 + 60 * 3 // 12) in writing
    else:
        # SQLite's one writer is the import: the row keeps the last step before it, and the
        # process running the import reports the live step.
        assert writing == [] and {s for s in seen if s[1] >= 30 and s[0] != "done"} <= {("read", 30)}


def test_one_import_at_a_time_per_directory_and_a_lost_one_is_given_up(
    cast: Cast, transactional_db: None, tmp_path: Path
) -> None:
    stuck = ImportJob.objects.create(owner=cast.org_a, file_name="big.zip", state=ImportJob.State.RUNNING)
    folder = write_datapackage(make_directory(services=3, locations=2, terms=8), tmp_path / "p")
    client = admin(cast)
    refused = client.post("/resources/admin/", {"file": zipped(folder)}, **JSON)
    assert refused.status_code == 400
    assert refused.json()["problems"] == ["An import of big.zip is still running; wait for it to finish."]
    page = client.post("/resources/admin/", {"file": zipped(folder)})
    assert page.status_code == 400 and "An import of big.zip is still running" in page.content.decode()
    # Another organization's import is its own.
    assert ImportJob.objects.filter(owner=cast.org_b).count() == 0

    ImportJob.objects.filter(id=stuck.id).update(updated_at=timezone.now() - dt.timedelta(minutes=16))
    status = finished(client, client.post("/resources/admin/", {"file": zipped(folder)}, **JSON))
    assert status["state"] == "done"
    stuck.refresh_from_db()
    assert stuck.state == ImportJob.State.FAILED and stuck.problems == [jobs.INTERRUPTED]


def test_the_status_is_for_the_directory_s_admins_only(
    cast: Cast, supervisor_client: Client, specialist_client: Client
) -> None:
    job = ImportJob.objects.create(owner=cast.org_a, file_name="d.zip", step="reading services.csv", done=12)
    url = f"/resources/admin/imports/{job.id}"
    body = admin(cast).get(url).json()
    assert body == {
        "id": str(job.id),
        "file": "d.zip",
        "state": "queued",
        "finished": False,
        "step": "reading services.csv",
        "done": 12,
        "total": 100,
        "summary": "",
        "problems": [],
    }
    page = admin(cast).get("/resources/admin/").content.decode()
    assert f'data-status-url="{url}"' in page and '<progress id="import-progress" max="100" value="12">' in page
    assert supervisor_client.get(url).status_code == 404
    assert specialist_client.get(url).status_code == 404
    assert Client().get(url).status_code == 302
    other = ImportJob.objects.create(owner=cast.org_b, file_name="b.zip")
    assert admin(cast).get(f"/resources/admin/imports/{other.id}").status_code == 404
    assert admin(cast).get(f"/resources/admin/?job={other.id}").status_code == 404
    assert admin(cast).get("/resources/admin/imports/not-a-uuid").status_code == 404
    assert admin(cast).post(url).status_code == 405


def running_job(cast: Cast, runner: str) -> ImportJob:
    return ImportJob.objects.create(
        owner=cast.org_a, file_name="big.zip", state=ImportJob.State.RUNNING, step="writing", done=40, runner=runner
    )


def test_a_job_whose_process_is_gone_is_shown_failed_when_its_page_is_read(cast: Cast) -> None:
    ended = subprocess.Popen(["sleep", "0"])
    started = jobs._process_started(ended.pid)
    ended.wait()
    lost = running_job(cast, f"{socket.gethostname()} {ended.pid} {started or 1}")
    body = admin(cast).get(f"/resources/admin/imports/{lost.id}", **JSON).json()
    assert body["state"] == "failed" and body["finished"] and body["problems"] == [jobs.INTERRUPTED]
    assert "upload the file again" in jobs.INTERRUPTED
    lost.refresh_from_db()
    assert lost.state == ImportJob.State.FAILED and lost.finished_at is not None
    # The admin page shows it too, and a new upload is not refused because of it.
    page = admin(cast).get("/resources/admin/").content.decode()
    assert "upload the file again" in page


def test_a_job_whose_process_was_killed_but_not_yet_reaped_is_shown_failed(cast: Cast) -> None:
    """A killed server's workers stay zombies (in /proc, with their start time) until init reaps
    them: a job read then is no less interrupted (CI on PostgreSQL read one as 'running')."""
    killed = subprocess.Popen(["sleep", "60"])
    started = jobs._process_started(killed.pid)
    assert started is not None
    lost = running_job(cast, f"{socket.gethostname()} {killed.pid} {started}")
    killed.kill()  # not waited for yet: a zombie, as an orphan is until init reaps it
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{killed.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the killed process never became a zombie"
            time.sleep(0.01)
        assert jobs.status(lost)["state"] == "failed"
    finally:
        killed.wait()


def test_a_job_whose_process_runs_is_left_running_and_a_reused_pid_is_not_taken_for_it(cast: Cast) -> None:
    alive = subprocess.Popen(["sleep", "60"])
    try:
        started = jobs._process_started(alive.pid)
        assert started is not None
        host = socket.gethostname()
        running = running_job(cast, f"{host} {alive.pid} {started}")
        assert jobs.status(running)["state"] == "running"
        reused = running_job(cast, f"{host} {alive.pid} {int(started) - 1}")
        assert jobs.status(reused)["state"] == "failed"
        # Another machine's process cannot be asked: its job waits for its row's silence.
        elsewhere = running_job(cast, f"another-node {alive.pid} {started}")
        assert jobs.status(elsewhere)["state"] == "running"
        ImportJob.objects.filter(id=elsewhere.id).update(updated_at=timezone.now() - dt.timedelta(minutes=16))
        elsewhere.refresh_from_db()
        assert jobs.status(elsewhere)["state"] == "failed"
    finally:
        alive.kill()
        alive.wait()


def test_finished_jobs_are_deleted_after_30_days_by_maintenance(cast: Cast) -> None:
    now = timezone.now()
    old = now - dt.timedelta(days=31)
    for state, finished_at in [
        (ImportJob.State.DONE, old),
        (ImportJob.State.REFUSED, old),
        (ImportJob.State.FAILED, old),
        (ImportJob.State.DONE, now - dt.timedelta(days=29)),
        (ImportJob.State.RUNNING, None),
    ]:
        ImportJob.objects.create(owner=cast.org_a, file_name=f"{state}.zip", state=state, finished_at=finished_at)
    out = io.StringIO()
    call_command("maintenance", "--skip-retention", stdout=out)
    assert "3 directory import records finished over 30 days ago deleted." in out.getvalue()
    assert sorted(ImportJob.objects.values_list("state", flat=True)) == ["done", "running"]


def test_one_writer_thread_writes_a_job_s_progress(
    cast: Cast, transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writers: list[set[int | None]] = []
    report = jobs._progress

    def and_look(job_id: uuid.UUID, step: str, done: int) -> None:
        report(job_id, step, done)
        alive = [t for t in threading.enumerate() if t.name == f"directory-import-progress-{job_id}"]
        writers.append({t.ident for t in alive})

    monkeypatch.setattr(jobs, "_progress", and_look)
    folder = write_datapackage(make_directory(services=12, locations=6, terms=8), tmp_path / "p")
    client = admin(cast)
    status = finished(client, client.post("/resources/admin/", {"file": zipped(folder)}, **JSON))
    assert status["state"] == "done"
    assert len(writers) > 5 and all(len(w) == 1 for w in writers) and len(set().union(*writers)) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("directory-import-progress")]
