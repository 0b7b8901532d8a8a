"""The real paths and the floor, called in this process through Django's WSGI handler.

No server and no client library: a request is an environ dict handed to the same
`get_wsgi_application()` granian calls, so every middleware, the session, the connection
handling at the end of a request (CONN_MAX_AGE, SQLite's close and checkpoint) run as served.
That gives the figures a server cannot: SQL queries per operation and, run under valgrind's
callgrind (`--callgrind`), instructions per operation, which the machine's load does not move.

Run by bench/screenpop.py as a child with DATABASE_URL set:

    python bench/inprocess.py --ops 200 [--callgrind]      prints one JSON object per path
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PASSWORD, editor_fields, floor_target, multipart, pop_target, with_values


class Browser:
    """One logged-in specialist: cookies kept between requests, as a browser keeps them."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, target: str, body: bytes = b"", content_type: str = "", json_answer: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        path, _, query = target.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_ACCEPT": "application/json" if json_answer else "text/html",
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if method == "POST":
            environ["CONTENT_TYPE"] = content_type
            environ["CONTENT_LENGTH"] = str(len(body))
            if "csrftoken" in self.cookies:
                environ["HTTP_X_CSRFTOKEN"] = self.cookies["csrftoken"]
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = headers

        result = self.app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            result.close()  # request_finished: connections are closed or kept as served
        headers: dict[str, str] = {}
        for name, value in answer["headers"]:
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
            headers[name.lower()] = value
        return answer["status"], headers, content

    def login(self, email: str) -> None:
        _, _, page = self.request("GET", "/accounts/login/")
        token = page.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        body = f"username={email}&password={PASSWORD}&csrfmiddlewaretoken={token}".replace("@", "%40").encode()
        status, _, _ = self.request("POST", "/accounts/login/", body, "application/x-www-form-urlencoded")
        if status != 302:
            raise SystemExit(f"login of {email} failed: HTTP {status}")

    def pop(self, target: str) -> bytes:
        status, headers, _ = self.request("GET", target)
        if status != 303:
            raise SystemExit(f"{target.split('?')[0]} answered HTTP {status}")
        status, _, page = self.request("GET", headers["location"])
        if status != 200:
            raise SystemExit(f"{headers['location']} answered HTTP {status}")
        self.last_location = headers["location"]
        return page


@dataclass
class Measured:
    path: str
    ops: int
    cpu_ms: float  # this process's CPU per operation (the client's share is a few µs)
    db_cpu_ms: float  # PostgreSQL's backend for this process, per operation (0 on SQLite)
    queries: float  # SQL statements per operation
    instructions: float | None  # per operation, under callgrind only
    page_bytes: int = 0


def backend_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving this database (from /proc)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname="postgres", autocommit=True
    ) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [settings["NAME"]])]
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


class Callgrind:
    """Instruction counts of a window of this process, when it runs under valgrind --tool=callgrind
    --instr-atstart=no (callgrind_control switches counting on and dumps the window's totals)."""

    def __init__(self, out: str | None) -> None:
        self.out = out
        self.dumps = 0

    def _control(self, *args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(os.getpid())], capture_output=True, check=True)

    def start(self) -> None:
        if self.out:
            self._control("--zero")
            self._control("--instr=on")

    def stop(self) -> float | None:
        if not self.out:
            return None
        self._control("--instr=off")
        self._control("--dump")
        self.dumps += 1
        text = Path(f"{self.out}.{self.dumps}").read_text()
        return float(next(line.split()[1] for line in text.splitlines() if line.startswith("totals:")))


def measure(name: str, op: Callable[[], Any], ops: int, callgrind: Callgrind, overhead: float) -> Measured:
    from django.db import connection

    for _ in range(max(3, ops // 10)):  # warm-up: caches, first connection
        op()
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        db_before = backend_cpu()
        callgrind.start()
        cpu_before = time.process_time()
        for _ in range(ops):
            op()
        cpu = time.process_time() - cpu_before
        instructions = callgrind.stop()
        # Per backend: one replaced after CONN_MAX_AGE (slow runs under valgrind) counts from zero.
        db = sum(t - db_before.get(pid, 0.0) for pid, t in backend_cpu().items())
    per_op = None if instructions is None else max(instructions - overhead, 0) / ops
    return Measured(name, ops, 1000 * cpu / ops, 1000 * db / ops, queries / ops, per_op)


def run(ops: int, callgrind_out: str | None) -> list[Measured]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor_settings")
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    rng = random.Random(1)
    callgrind = Callgrind(callgrind_out)
    # What the window's switching and dumping costs by itself, subtracted from every path.
    callgrind.start()
    overhead = callgrind.stop() or 0.0

    real = Browser(app)
    real.login("specialist0@bench.example")
    page = real.pop(pop_target(rng))
    os.environ["BENCH_PAGE_BYTES"] = str(len(page))  # the floor's page is the editor's size
    fields = editor_fields(page.decode())

    floor = Browser(app)
    floor.login("specialist1@bench.example")

    results = [
        measure("pop", lambda: real.pop(pop_target(rng)), ops, callgrind, overhead),
        measure("floor pop", lambda: floor.pop(floor_target(pop_target(rng))), ops, callgrind, overhead),
    ]
    results[0].page_bytes = len(page)

    def saver(browser: Browser, target: str) -> Callable[[], None]:
        browser.pop(target)
        path = browser.last_location
        state = {"version": "1", "n": 0}

        def save() -> None:
            state["n"] += 1
            data = with_values(fields, version=state["version"], f_notes=f"Typed so far: {state['n']} " * 4)
            body, content_type = multipart(data)
            status, _, answer = browser.request("POST", f"{path}save", body, content_type, json_answer=True)
            if status != 200:
                raise SystemExit(f"{path}save answered HTTP {status}: {answer[:300]!r}")
            state["version"] = str(json.loads(answer)["version"])

        return save

    results.append(measure("autosave", saver(real, pop_target(rng)), ops, callgrind, overhead))
    results.append(measure("floor save", saver(floor, floor_target(pop_target(rng))), ops, callgrind, overhead))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=200, help="operations measured per path")
    parser.add_argument("--callgrind-out", help=argparse.SUPPRESS)  # set by screenpop.py under valgrind
    args = parser.parse_args()
    for measured in run(args.ops, args.callgrind_out):
        print(json.dumps(asdict(measured)), flush=True)


if __name__ == "__main__":
    main()
