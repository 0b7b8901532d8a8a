"""`calldesk backup FILE` and `calldesk restore FILE` (docs/security.md).

SQLite is copied with its online backup API (a consistent snapshot while the site keeps
writing); PostgreSQL with `pg_dump --format=custom` (one consistent snapshot too) and put back
with `pg_restore` in a single transaction. Either way the file is encrypted with
CALLDESK_BACKUP_KEY (calldesk.vault.sealedfile) and written under a temporary name first, so
a failed backup never leaves a file that looks whole.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump and pg_restore, with argument lists, never a shell
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connections

from calldesk.lib.crypto import key_id, keyring
from calldesk.vault.sealedfile import CHUNK, BackupError, SealedWriter, open_chunks, read_header

FORMAT = 1


def _engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {vendor} database are not supported")
    return vendor


def _pg_command(tool: str, settings: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    args = [binary, "--no-owner", "--no-privileges", "--dbname", settings["NAME"]]
    if settings.get("HOST"):
        args += ["--host", settings["HOST"]]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", settings["USER"]]
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    return args, env


def make_backup(path: Path, using: str = "default") -> dict[str, Any]:
    """Write an encrypted backup of the database to `path`; returns its header."""
    ring = keyring()
    engine = _engine(using)
    header = {
        "format": FORMAT,
        "engine": engine,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_key_ids": [key.id for key in ring.data],
        "hash_key_id": key_id(ring.hash_key),
    }
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            writer = SealedWriter(out, ring.backup, header)
            for data in (_sqlite_snapshot if engine == "sqlite" else _pg_dump)(connections[using].settings_dict):
                writer.write(data)
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return header


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="calldesk-backup-") as tmp:  # mode 0700
        yield Path(tmp)


def _sqlite_snapshot(settings: dict[str, Any]) -> Iterator[bytes]:
    with _scratch() as tmp:
        copy = tmp / "snapshot.sqlite3"
        source = sqlite3.connect(settings["NAME"], timeout=20)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)  # all pages in one step: one consistent snapshot
        finally:
            target.close()
            source.close()
        with copy.open("rb") as snapshot:
            while data := snapshot.read(CHUNK):
                yield data


def _pg_dump(settings: dict[str, Any]) -> Iterator[bytes]:
    args, env = _pg_command("pg_dump", settings)
    # stderr to a file: a pipe nobody reads while the dump streams could fill up and stall it.
    with tempfile.TemporaryFile() as errors:
        command = [*args, "--format=custom"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)  # noqa: S603  # nosec B603 - no shell
        assert process.stdout is not None
        while data := process.stdout.read(CHUNK):
            yield data
        if process.wait() != 0:
            errors.seek(0)
            raise BackupError(f"pg_dump failed: {errors.read().decode(errors='replace').strip()}")


def describe(path: Path) -> dict[str, Any]:
    with path.open("rb") as source:
        return read_header(source)[0]


def restore_backup(path: Path, using: str = "default", replace: bool = False) -> dict[str, Any]:
    """Put a backup back into the database. Every check runs before anything is written: the
    key, the whole file, the engine, the keys of the caller data, and that the database is
    empty (unless `replace`)."""
    ring = keyring()
    engine = _engine(using)
    connection = connections[using]
    with _scratch() as tmp:
        plain = tmp / "restore"
        with path.open("rb") as source, plain.open("wb") as out:
            header = read_header(source)[0]
            source.seek(0)
            for data in open_chunks(source, ring.backup):
                out.write(data)
        if header.get("engine") != engine:
            raise BackupError(f"this is a backup of a {header.get('engine')} database; this one is {engine}")
        sealed_with = header.get("data_key_ids", [])[:1]
        if sealed_with and sealed_with[0] not in {key.id for key in ring.data}:
            raise BackupError(
                f"the backup's caller data is sealed with key {sealed_with[0]}, which is not among "
                "CALLDESK_DATA_KEYS here: set the keys of the installation it came from first"
            )
        if header.get("hash_key_id") != key_id(ring.hash_key):
            raise BackupError(
                "CALLDESK_HASH_KEY differs from the installation the backup came from: set the same key first"
            )
        if not replace and "django_migrations" in connection.introspection.table_names():
            raise BackupError(
                "this database already holds a Calldesk installation: restore into an empty database, "
                "or pass --replace to overwrite it"
            )
        connection.close()
        if engine == "sqlite":
            _sqlite_restore(plain, connection.settings_dict)
        else:
            _pg_restore(plain, connection.settings_dict, replace)
    return header


def _sqlite_restore(plain: Path, settings: dict[str, Any]) -> None:
    source = sqlite3.connect(plain)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the SQLite database inside the backup is damaged")
        target = sqlite3.connect(settings["NAME"], timeout=20)
        try:
            source.backup(target)
        finally:
            target.close()
    finally:
        source.close()


def _pg_restore(plain: Path, settings: dict[str, Any], replace: bool) -> None:
    args, env = _pg_command("pg_restore", settings)
    args += ["--single-transaction", "--exit-on-error"]
    if replace:
        args += ["--clean", "--if-exists"]
    done = subprocess.run([*args, str(plain)], capture_output=True, text=True, env=env)  # noqa: S603  # nosec B603 - no shell
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was restored: {done.stderr.strip()[-2000:]}")
