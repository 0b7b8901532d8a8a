"""What a source knows of the calls in progress, kept on disk beside the queue.

AMI does not replay what happened while the connector was away, so a connector restarted in the
middle of a call must still know which calls it had seen and posted: it compares them with the
calls Asterisk reports in progress and ends the ones that are gone. Written in the queue's own
file (readable by this user only), removed as soon as the call ends.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS open_calls (
    source TEXT NOT NULL,
    call_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (source, call_id)
)
"""


class CallStore:
    def __init__(self, path: Path, source: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        self.source = source
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Written at every step of a call: NORMAL in WAL mode survives the connector being killed
        # (what a restart is about) without an fsync each time.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute(SCHEMA)

    def load(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT call_id, state FROM open_calls WHERE source = ?", (self.source,)).fetchall()
        return {str(call_id): json.loads(state) for call_id, state in rows}

    def save(self, call_id: str, state: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO open_calls (source, call_id, state, updated_at) VALUES (?, ?, ?, ?)",
                (self.source, call_id, json.dumps(state, ensure_ascii=False), time.time()),
            )

    def drop(self, call_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM open_calls WHERE source = ? AND call_id = ?", (self.source, call_id))

    def close(self) -> None:
        with self._lock:
            self._db.close()
