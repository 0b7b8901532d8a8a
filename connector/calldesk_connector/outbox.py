"""The on-disk queue between the sources and the sink.

A source's event is committed (SQLite, WAL, synchronous=FULL: fsync'd) before anything is sent,
and removed only after the sink has delivered it, so a kill at any moment loses nothing. A kill
between delivery and removal sends that event once more at restart; Calldesk answers a repeated
callId with the same call, so no call is made twice. A few senders work side by side,
oldest first, and a hang-up never overtakes its call.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

from calldesk_connector.events import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    rejected TEXT  -- why Calldesk refused it for good; kept for the admin, never retried
)
"""


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Caller data waits here: readable by this user only.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")  # a sent call's data is overwritten, not just unlinked
        self._db.execute(SCHEMA)
        self._changed = threading.Condition()
        self._claimed: set[int] = set()  # held by a sender right now (in memory: a restart frees all)

    def put(self, event: Event) -> int:
        with self._changed:
            cursor = self._db.execute(
                "INSERT INTO outbox (kind, params, queued_at) VALUES (?, ?, ?)",
                (event.kind, json.dumps(event.params, ensure_ascii=False), time.time()),
            )
            self._changed.notify_all()
            return int(cursor.lastrowid or 0)

    def claim(self) -> tuple[int, Event] | None:
        """The oldest event no sender holds whose call has no earlier event still on its way: calls
        go out side by side, while a call's hang-up always waits for the call itself."""
        with self._changed:
            rows = self._db.execute(
                "SELECT id, kind, params FROM outbox WHERE rejected IS NULL ORDER BY id LIMIT 500"
            ).fetchall()
            held_calls: set[str] = set()
            for item_id, kind, params in rows:
                event = Event(kind, json.loads(params))
                if item_id in self._claimed or event.call_id in held_calls:
                    held_calls.add(event.call_id)
                    continue
                self._claimed.add(item_id)
                return int(item_id), event
        return None

    def release(self, item_id: int) -> None:
        with self._changed:
            self._claimed.discard(item_id)
            self._changed.notify_all()

    def delivered(self, item_id: int) -> None:
        with self._changed:
            self._db.execute("DELETE FROM outbox WHERE id = ?", (item_id,))
            self._claimed.discard(item_id)
            self._changed.notify_all()

    def failed(self, item_id: int) -> int:
        with self._changed:
            self._db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (item_id,))
            row = self._db.execute("SELECT attempts FROM outbox WHERE id = ?", (item_id,)).fetchone()
        return int(row[0]) if row else 0

    def reject(self, item_id: int, reason: str) -> None:
        with self._changed:
            self._db.execute("UPDATE outbox SET rejected = ? WHERE id = ?", (reason, item_id))
            self._claimed.discard(item_id)
            self._changed.notify_all()

    def counts(self) -> tuple[int, int]:
        """(waiting, rejected)."""
        with self._changed:
            waiting, rejected = self._db.execute(
                "SELECT COUNT(*) - COUNT(rejected), COUNT(rejected) FROM outbox"
            ).fetchone()
        return int(waiting), int(rejected)

    def wait(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait(timeout)

    def close(self) -> None:
        with self._changed:
            self._db.close()
