"""Directory imports started from the admin page, run in the background so a large file (minutes
for 50,000 services) does not hold a request open: the upload is kept in a private temporary
folder, an ImportJob row records the state and progress, and a thread of the process that took
the upload runs the same import the command runs (all or nothing, one transaction).

Progress is written to the job's row by a short-lived thread with its own connection, since
the import's own connection is inside its transaction, where the row's changes would stay
unseen until the end. On PostgreSQL that is every step. SQLite has one writer at a time, and
the import's transaction is it: while it writes, the steps are kept in this process
(`_LIVE`), so the process running the import reports them and any other process reports the
last step written before the transaction began."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.accounts.models import User
from calldesk.resources import services, uploads
from calldesk.resources.importer import ImportRefused
from calldesk.resources.models import DirectorySettings, ImportJob

logger = logging.getLogger(__name__)
State = ImportJob.State
UNFINISHED = (State.QUEUED, State.RUNNING)
# A job whose row has not moved for this long lost its process (a restart, a crash): each
# step writes the row, and no step of the benchmark's 50,000-service import takes a minute.
STALE_AFTER = dt.timedelta(minutes=15)
UPLOAD_NAME = "upload"
# The steps of imports running in this process, while SQLite's write lock keeps them from the row.
_LIVE: dict[uuid.UUID, tuple[str, int, int]] = {}
_threads: dict[uuid.UUID, threading.Thread] = {}
WRITE_ATTEMPTS = 5  # of a job row's update, each after SQLite's own busy timeout


class AlreadyRunning(Exception):
    pass


def start_import(owner: CalldeskOrganization, user: User, upload: File) -> ImportJob:
    """Keep the upload and start importing it in the background; ImportRefused for a file an
    import never takes (its size or kind), AlreadyRunning while another import of `owner` runs."""
    name = uploads.check(upload)
    with transaction.atomic():
        # The directory's settings row is the lock two uploads at once queue on (PostgreSQL;
        # SQLite's transactions take the write lock at their start anyway).
        DirectorySettings.objects.get_or_create(owner=owner)
        DirectorySettings.objects.select_for_update().filter(owner=owner).first()
        running = _unfinished(owner)
        if running is not None:
            raise AlreadyRunning(running.file_name)
        job = ImportJob.objects.create(owner=owner, started_by=user, file_name=name, step="waiting to start")
    folder = Path(tempfile.mkdtemp(prefix="calldesk-hsds-job-"))
    try:
        with (folder / UPLOAD_NAME).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        _finish(job.id, State.FAILED, problems=["The upload could not be kept for the import."])
        raise
    thread = threading.Thread(target=_run, args=(job.id, folder), name=f"directory-import-{job.id}", daemon=True)
    _threads[job.id] = thread
    transaction.on_commit(thread.start)
    return job


def _unfinished(owner: CalldeskOrganization) -> ImportJob | None:
    job = ImportJob.objects.filter(owner=owner, state__in=UNFINISHED).order_by("-created_at").first()
    if job is not None and timezone.now() - job.updated_at > STALE_AFTER:
        # On this connection, inside the caller's transaction (a writer of its own would wait
        # for this one's lock on SQLite).
        lost = ["The import stopped (its server process ended); nothing was imported."]
        ImportJob.objects.filter(id=job.id).update(updated_at=timezone.now(), **_finished(State.FAILED, "", lost))
        return None
    return job


def _run(job_id: uuid.UUID, folder: Path) -> None:
    try:
        job = ImportJob.objects.select_related("owner").get(id=job_id)
        _write(job_id, state=State.RUNNING, step="unpacking", done=0)
        with (folder / UPLOAD_NAME).open("rb") as handle, uploads.unpacked(File(handle, name=job.file_name)) as path:
            summary = services.import_directory(
                job.owner, path, lambda step, done, total: _progress(job_id, step, done)
            )
        _finish(job_id, State.DONE, summary=str(summary))
    except ImportRefused as refused:
        _finish(job_id, State.REFUSED, problems=refused.problems)
    except Exception:
        # The cause goes to the log (a directory file holds no caller data); the page says only that it failed.
        logger.exception("directory import %s failed", job_id)
        _finish(job_id, State.FAILED, problems=["The import failed on the server; nothing was imported."])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _LIVE.pop(job_id, None)
        _threads.pop(job_id, None)
        connection.close()


def _progress(job_id: uuid.UUID, step: str, done: int) -> None:
    _LIVE[job_id] = (step, done, 100)
    if connection.in_atomic_block and connection.vendor == "sqlite":
        return  # SQLite's one writer is this import's transaction: kept in _LIVE until it ends
    _write(job_id, step=step, done=done)


def _write(job_id: uuid.UUID, **values: Any) -> None:
    """Update the job's row on a connection of its own, committed at once, whatever
    transaction the calling thread is in (never call it inside a transaction on SQLite: the
    writer would wait for the caller's lock while the caller waits for the writer)."""

    def update() -> None:
        try:
            # SQLite answers "database is locked" once its busy timeout has passed while another
            # writer held the lock (a loaded machine); the job's last word must not be lost.
            for attempt in range(WRITE_ATTEMPTS):
                try:
                    ImportJob.objects.filter(id=job_id).update(updated_at=timezone.now(), **values)
                    return
                except OperationalError:
                    if attempt == WRITE_ATTEMPTS - 1:
                        raise
                    connection.close()
                    time.sleep(0.5 * (attempt + 1))
        finally:
            connection.close()

    writer = threading.Thread(target=update, name=f"directory-import-progress-{job_id}")
    writer.start()
    writer.join()


def _finish(job_id: uuid.UUID, state: str, summary: str = "", problems: list[str] | None = None) -> None:
    _write(job_id, **_finished(state, summary, problems or []))


def _finished(state: str, summary: str, problems: list[str]) -> dict[str, Any]:
    done = 100 if state == State.DONE else 0
    return {
        "state": state,
        "step": "",
        "done": done,
        "summary": summary,
        "problems": problems,
        "finished_at": timezone.now(),
    }


def status(job: ImportJob) -> dict[str, Any]:
    """What the page shows of a job: from its row, or this process's newer step while SQLite
    keeps the row from being written."""
    step, done, total = job.step, job.done, job.total
    if job.state in UNFINISHED and job.id in _LIVE:
        step, done, total = _LIVE[job.id]
    return {
        "id": str(job.id),
        "file": job.file_name,
        "state": job.state,
        "finished": job.state not in UNFINISHED,
        "step": step,
        "done": done,
        "total": total,
        "summary": job.summary,
        "problems": job.problems,
    }


def latest(owner: CalldeskOrganization) -> ImportJob | None:
    return ImportJob.objects.filter(owner=owner).order_by("-created_at").first()


def wait(job_id: uuid.UUID, timeout: float) -> None:
    """Wait for a job this process runs (for tests; pages poll instead)."""
    thread = _threads.get(job_id)
    if thread is not None and thread.is_alive():
        thread.join(timeout)
