"""Directory imports started from the admin page, run in the background so a large file (minutes
for 50,000 services) does not hold a request open: the upload is kept in a private temporary
folder, an ImportJob row records the state and progress, and a thread of the process that took
the upload runs the same import the command runs (all or nothing, one transaction).

Progress is written to the job's row by the job's writer thread, on a connection of its own,
since the import's own connection is inside its transaction, where the row's changes would stay
unseen until the end. On PostgreSQL that is every step. SQLite has one writer at a time, and
the import's transaction is it: while it writes, the steps are kept in this process
(`_LIVE`), so the process running the import reports them and any other process reports the
last step written before the transaction began.

A job lives in the process that took the upload: the row names that process (`runner`), so when
the page is read after a restart (or a crash), a job whose process is gone is shown as failed,
and nothing of it was imported (the import's one transaction was never committed). A runner on
another machine cannot be asked: its job is given up when its row has not moved for
STALE_AFTER. Finished jobs are deleted after KEEP_FINISHED by `calldesk maintenance`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import shutil
import socket
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
KEEP_FINISHED = dt.timedelta(days=30)
INTERRUPTED = "Interrupted: the server restarted (or its process ended); upload the file again. Nothing was imported."
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
        job = ImportJob.objects.create(
            owner=owner, started_by=user, file_name=name, step="waiting to start", runner=this_process()
        )
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
    return None if job is None or _given_up_if_lost(job) else job


def _process_started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None when there is no such process
    (or no /proc to ask): with the pid, names a process even after its pid is reused. A zombie
    is no process: a killed server's workers stay zombies until the machine's init reaps them
    (1.4 s here, longer under load), and a job read meanwhile was taken for still running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the name, which may hold spaces and ")"
    return None if fields[0] in ("Z", "X") else fields[19]


def this_process() -> str:
    """This process as a job's runner: machine, pid and start time ("" where /proc is not)."""
    started = _process_started(os.getpid())
    return f"{socket.gethostname()} {os.getpid()} {started}" if started else ""


def _runner_gone(job: ImportJob) -> bool:
    if not job.runner:
        return False
    host, pid, started = job.runner.rsplit(" ", 2)
    if host != socket.gethostname():
        return False  # another machine's process: only its row's silence (STALE_AFTER) tells
    if job.runner == this_process():
        return job.id not in _threads  # this process, whose thread for it has gone
    return _process_started(int(pid)) != started


def _given_up_if_lost(job: ImportJob) -> bool:
    """Mark an unfinished job failed when its process is gone (or its row has been silent for
    STALE_AFTER); whether it was. On the caller's connection, in its transaction (a writer of its
    own would wait for the caller's lock on SQLite)."""
    if job.state not in UNFINISHED:
        return False
    if not _runner_gone(job) and timezone.now() - job.updated_at <= STALE_AFTER:
        return False
    values = _finished(State.FAILED, "", [INTERRUPTED])
    if ImportJob.objects.filter(id=job.id, state__in=UNFINISHED).update(updated_at=timezone.now(), **values):
        for name, value in values.items():
            setattr(job, name, value)
    else:
        job.refresh_from_db()  # it finished meanwhile
    return True


def forget_finished(now: dt.datetime | None = None) -> int:
    """Delete the jobs that finished more than KEEP_FINISHED ago; how many."""
    before = (now or timezone.now()) - KEEP_FINISHED
    deleted, _ = ImportJob.objects.exclude(state__in=UNFINISHED).filter(finished_at__lt=before).delete()
    return deleted


def _run(job_id: uuid.UUID, folder: Path) -> None:
    _writers[job_id] = _Writer(job_id)
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
        _writers.pop(job_id).close()
        _LIVE.pop(job_id, None)
        _threads.pop(job_id, None)
        connection.close()


def _progress(job_id: uuid.UUID, step: str, done: int) -> None:
    _LIVE[job_id] = (step, done, 100)
    if connection.in_atomic_block and connection.vendor == "sqlite":
        return  # SQLite's one writer is this import's transaction: kept in _LIVE until it ends
    _write(job_id, step=step, done=done)


class _Writer:
    """A job's row writer: one thread with a connection of its own, committing each update at
    once whatever transaction the import's thread is in. `write` returns once the row is written
    (never call it inside a transaction on SQLite: the writer would wait for the caller's lock
    while the caller waits for the writer)."""

    def __init__(self, job_id: uuid.UUID) -> None:
        self.job_id = job_id
        self.updates: queue.Queue[tuple[dict[str, Any], threading.Event] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name=f"directory-import-progress-{job_id}")
        self.thread.start()

    def write(self, values: dict[str, Any]) -> None:
        written = threading.Event()
        self.updates.put((values, written))
        written.wait()

    def close(self) -> None:
        self.updates.put(None)
        self.thread.join()

    def _loop(self) -> None:
        try:
            while (update := self.updates.get()) is not None:
                values, written = update
                try:
                    self._update(values)
                except Exception:
                    logger.exception("directory import %s: its row could not be updated", self.job_id)
                finally:
                    written.set()
        finally:
            connection.close()

    def _update(self, values: dict[str, Any]) -> None:
        # SQLite answers "database is locked" once its busy timeout has passed while another
        # writer held the lock (a loaded machine); the job's last word must not be lost.
        for attempt in range(WRITE_ATTEMPTS):
            try:
                ImportJob.objects.filter(id=self.job_id).update(updated_at=timezone.now(), **values)
                return
            except OperationalError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                connection.close()
                time.sleep(0.5 * (attempt + 1))


_writers: dict[uuid.UUID, _Writer] = {}


def _write(job_id: uuid.UUID, **values: Any) -> None:
    """Update the job's row through its writer (a writer of its own for a job not running here)."""
    writer = _writers.get(job_id)
    if writer is not None:
        writer.write(values)
        return
    writer = _Writer(job_id)
    try:
        writer.write(values)
    finally:
        writer.close()


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
    keeps the row from being written; a job whose process is gone is given up first."""
    _given_up_if_lost(job)
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
