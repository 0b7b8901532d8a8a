#!/usr/bin/env python3
"""Two Calldesk nodes behind nginx on one machine: the production shape, for tests and benchmarks.

    deploy/twonodes.py up --dir /tmp/cd-two        # prints the state as JSON (ports, pids)
    deploy/twonodes.py down --dir /tmp/cd-two

`up` reads the same environment as `calldesk serve` (DATABASE_URL, REDIS_URL, SECRET_KEY,
CALLDESK_* keys, …; both nodes must share the database and the keys, and Redis carries the push
between them when several machines run it), migrates the database, collects the static files once,
then starts:

- node a and node b: `calldesk serve` on two free ports of 127.0.0.1, each in its own process
  group (so either can be killed alone, as a machine going down), with TRUSTED_PROXIES=1 (the
  client's address is the one nginx saw);
- nginx (Debian's package, /usr/sbin/nginx) on a third free port of 127.0.0.1, with its own
  prefix, pid file, logs and temporary directories under --dir, in front of both.

Everything it started is written to DIR/state.json; `down` stops exactly those processes. The
nginx configuration it writes (DIR/nginx.conf, from deploy/nginx.conf.template) is the starting
point for a real installation: docs/deploy.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")
NODES = ("a", "b")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def calldesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "calldesk.cli", *args]


def node_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
    env["TRUSTED_PROXIES"] = "1"  # nginx appends the client's address to X-Forwarded-For
    return env


def nginx_config(folder: Path, port: int, nodes: dict[str, int]) -> str:
    template = (HERE / "nginx.conf.template").read_text()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in nodes.values())
    user = "user root root;" if os.geteuid() == 0 else ""  # else workers run as nobody, who cannot write here
    return (
        template.replace("{{USER}}", user)
        .replace("{{PREFIX}}", str(folder))
        .replace("{{PORT}}", str(port))
        .replace("{{SERVERS}}", servers)
    )


def wait_healthy(url: str, what: str, process: subprocess.Popen[bytes] | None, log: Path, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{what} stopped at start:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not answer /healthz within {limit:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def start_node(name: str, port: int, folder: Path, env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    log = folder / f"node-{name}.log"
    argv = calldesk("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers))
    argv += ["--access-log", "--skip-collectstatic"]
    with log.open("ab") as out:
        # Its own session, hence its own process group: killing it kills its workers too, and
        # nothing else (a machine going down).
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def up(folder: Path, workers: int) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("logs", "temp"):
        (folder / sub).mkdir(exist_ok=True)
    env = node_environment()
    for step in (("migrate", "-v0"), ("collectstatic", "--noinput", "-v0")):
        done = subprocess.run(calldesk(*step), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"calldesk {step[0]} failed:\n{done.stderr[-3000:]}")
    ports = {name: free_port() for name in NODES}
    state: dict[str, Any] = {"dir": str(folder), "nodes": {}}
    processes = {name: start_node(name, port, folder, env, workers) for name, port in ports.items()}
    for name, process in processes.items():
        state["nodes"][name] = {"port": ports[name], "pid": process.pid, "url": f"http://127.0.0.1:{ports[name]}"}
        (folder / "state.json").write_text(json.dumps(state, indent=1))  # so `down` finds what started
    for name, process in processes.items():
        wait_healthy(state["nodes"][name]["url"], f"node {name}", process, folder / f"node-{name}.log")
    port = free_port()
    config = folder / "nginx.conf"
    config.write_text(nginx_config(folder, port, ports))
    started = subprocess.run(
        [NGINX, "-p", str(folder), "-c", str(config), "-e", str(folder / "logs" / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if started.returncode != 0:
        raise SystemExit(f"nginx did not start:\n{started.stderr}")
    state["nginx"] = {"port": port, "url": f"http://127.0.0.1:{port}", "pid_file": str(folder / "nginx.pid")}
    (folder / "state.json").write_text(json.dumps(state, indent=1))
    wait_healthy(state["nginx"]["url"], "nginx", None, folder / "logs" / "error.log")
    return state


def stop_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def down(folder: Path) -> None:
    path = folder / "state.json"
    if not path.exists():
        return
    state = json.loads(path.read_text())
    if "nginx" in state:
        subprocess.run(
            [
                NGINX,
                "-p",
                str(folder),
                "-c",
                str(folder / "nginx.conf"),
                "-e",
                str(folder / "logs" / "error.log"),
                "-s",
                "stop",
            ],
            capture_output=True,
            timeout=30,
        )
    for node in state["nodes"].values():
        stop_group(node["pid"])
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", required=True, type=Path, help="where nginx's prefix, logs and the state go")
    parser.add_argument("--workers", type=int, default=1, help="worker processes per node (default 1)")
    args = parser.parse_args()
    folder = args.dir.resolve()
    if args.action == "up":
        try:
            state = up(folder, args.workers)
        except BaseException:
            down(folder)
            raise
        print(json.dumps(state))
    else:
        down(folder)


if __name__ == "__main__":
    main()
