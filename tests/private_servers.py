"""A PostgreSQL and a Redis of one test's (or one benchmark's) own, on free ports, that it may stop
and start again: the machine's own servers are shared and are never restarted.

PostgreSQL: `initdb` into a temporary directory, started with `pg_ctl` as the `postgres` user when
run as root (PostgreSQL refuses to run as root), listening on 127.0.0.1 only, trust auth.
Redis: `redis-server` with no persistence. `available()` says what is missing, for a visible skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis

from tests.server_process import free_port


def _pg_bin(name: str) -> str | None:
    # Debian keeps initdb and pg_ctl out of PATH, under /usr/lib/postgresql/<version>/bin.
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def postgres_missing() -> str | None:
    """Why a private PostgreSQL cannot be started here, or None."""
    for name in ("initdb", "pg_ctl"):
        if _pg_bin(name) is None:
            return f"{name} is not installed (PostgreSQL's server package)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing (PostgreSQL cannot run as root)"
    return None


def redis_missing() -> str | None:
    return None if shutil.which("redis-server") else "redis-server is not installed"


class PrivatePostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="calldesk-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, timeout: float = 120) -> None:
        command = list(argv)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr[-2000:]}\n{log}")

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        initdb = _pg_bin("initdb")
        assert initdb is not None
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        assert pg_ctl is not None
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """A fast shutdown, as `pg_ctlcluster stop` and systemd do: open connections are ended."""
        pg_ctl = _pg_bin("pg_ctl")
        assert pg_ctl is not None
        self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres").replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        try:
            self._run(_pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except RuntimeError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="calldesk-redis-"))
        self.paused = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.folder),
                "--pidfile",
                str(self.folder / "redis.pid"),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def pause(self) -> None:
        """Freezes the server (SIGSTOP): connections are still accepted by the kernel but nothing is
        ever answered, as with a Redis that hangs or a machine gone from the network (no refusal)."""
        os.kill(self._pid(), signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        os.kill(self._pid(), signal.SIGCONT)
        self.paused = False

    def _pid(self) -> int:
        return int((self.folder / "redis.pid").read_text().strip())

    def stop(self) -> None:
        """`shutdown nosave`: every client's connection is dropped, and what was published is gone."""
        try:
            redis.Redis(port=self.port, socket_connect_timeout=1).shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # redis-py reports the connection the shutdown closed
        deadline = time.monotonic() + 20
        while Path(self.folder / "redis.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def destroy(self) -> None:
        if self.paused:
            self.resume()  # a frozen server would never answer the shutdown
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
