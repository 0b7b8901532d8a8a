"""`calldesk serve`: collect static files, then hand the process over to granian.

Why granian serving calldesk.asgi (pages on threads, the console's push on the event loop), how
many threads, and the figures behind it: docs/serving.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.lib.envconf import envint, envstr
from calldesk.ops.deploy import secret_key_problem

# Threads per worker that run Django views (docs/serving.md has the measurements). PostgreSQL:
# threads overlap one request's query round trips with another's Python work; each holds its own
# connection, so workers x threads must stay well under max_connections (100 by default).
# SQLite: one writer at a time, and a waiting writer sleeps in steps of up to 100 ms, so more
# threads only queue on the lock and stretch the slowest answers.
POSTGRES_THREADS = 8
SQLITE_THREADS = 2


def default_threads() -> int:
    from django.conf import settings

    sqlite = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    return envint("WEB_THREADS", SQLITE_THREADS if sqlite else POSTGRES_THREADS)


# The access log names the path only: the caller's number travels in the query string of
# /Telephony/GetCallReport and must never be written to a log.
ACCESS_LOG_FORMAT = '[%(time)s] %(addr)s "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms'

# Phone systems send long telephony URLs (8 KB and more); granian reads the whole
# request head into this buffer. Pinned (granian's default is 408 KB today) so a release that
# lowers it cannot break long URLs; 64 KB leaves room for cookies on top of a long URL.
HTTP1_BUFFER_SIZE = 64 * 1024

# Requests in progress per worker that granian allows (an open console is one for as long as it
# stays open). Pages are bounded by their thread pool, not by this; its default (backlog /
# workers, 512) would refuse the 513th console of a worker.
ASGI_BACKPRESSURE = 8192


def granian_argv(
    *, host: str, port: int, workers: int, threads: int, access_log: bool, interface: str = "asgi"
) -> list[str]:
    """The granian command line `calldesk serve` runs (also used by bench/screenpop.py)."""
    target = "calldesk.wsgi:application" if interface == "wsgi" else "calldesk.asgi:application"
    # Django's ASGI handler has no lifespan support: granian's "asginl" skips the lifespan handshake
    # (plain "asgi" would log a warning per worker).
    granian_interface = "wsgi" if interface == "wsgi" else "asginl"
    argv = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        granian_interface,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--http",
        "1",
        "--no-ws",
        "--http1-buffer-size",
        str(HTTP1_BUFFER_SIZE),
        "--respawn-failed-workers",
        "--log-level",
        "warning",
    ]
    if interface == "asgi":
        argv += ["--backpressure", str(ASGI_BACKPRESSURE), "--backlog", str(ASGI_BACKPRESSURE)]
    if interface == "wsgi":
        # The threads bound the requests running at once. No --backpressure: granian counts it per
        # open connection, not per request, so browsers' idle keep-alive connections would use it
        # up and further specialists would not be answered at all (tests/test_serve.py).
        argv += ["--blocking-threads", str(threads)]
    if access_log:
        argv += ["--access-log", "--access-log-fmt", ACCESS_LOG_FORMAT, "--log-config", str(granian_log_config())]
    return [*argv, target]


def granian_log_config() -> Path:
    """A file with granian's own logging set-up plus the filter that scrubs query strings (the
    caller's number) and paths carrying a secret (the Zammad-compatible CTI path holds an API
    token; calldesk.lib.privacy)."""
    scrub = {"filters": ["secret_paths"]}
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"secret_paths": {"()": "calldesk.lib.privacy.PrivateLogFilter"}},
        "formatters": {
            "generic": {"()": "logging.Formatter", "fmt": "[%(levelname)s] %(message)s"},
            "access": {"()": "logging.Formatter", "fmt": "%(message)s"},
        },
        "handlers": {
            "console": {
                "formatter": "generic",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                **scrub,
            },
            "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout", **scrub},
        },
        "loggers": {
            "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
    handle, name = tempfile.mkstemp(prefix="calldesk-granian-logging-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(config, out)
    return Path(name)


class Command(BaseCommand):
    help = "Start Calldesk's production web server (granian) after collecting static files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=envstr("HOST", "127.0.0.1"), help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=envint("PORT", 8000), help="port (default $PORT or 8000)")
        parser.add_argument(
            "--workers",
            type=int,
            default=envint("WEB_CONCURRENCY", 2),
            help="worker processes (default $WEB_CONCURRENCY or 2; one per CPU core is a good start)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=default_threads(),
            help=f"request threads per worker (default $WEB_THREADS, else {POSTGRES_THREADS} on PostgreSQL, "
            f"{SQLITE_THREADS} on SQLite)",
        )
        parser.add_argument(
            "--interface",
            choices=["wsgi", "asgi"],
            default="asgi",
            help="asgi (default: pages on --threads threads, the live console on the event loop) or "
            "wsgi (pages only: the console gets no live push; see docs/serving.md)",
        )
        parser.add_argument(
            "--pages",
            choices=["threads", "django-asgi"],
            default="threads",
            help="with asgi: run pages on a thread pool (default) or on Django's ASGI handler (for measuring)",
        )
        parser.add_argument(
            "--access-log", action="store_true", help="log each request (path and status; never the query string)"
        )
        parser.add_argument(
            "--skip-collectstatic", action="store_true", help="static files were already collected (e.g. in an image)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("port", "workers", "threads"):
            if options[name] < 1 or (name == "port" and options[name] > 65535):
                raise CommandError(f"--{name} must be a positive number (got {options[name]})")
        if problem := secret_key_problem():
            raise CommandError(problem)
        if not options["skip_collectstatic"]:
            # whitenoise's manifest storage serves only collected files; a fresh checkout has none.
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = granian_argv(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
            access_log=options["access_log"],
            interface=options["interface"],
        )
        # Read by calldesk/asgi.py in each worker (granian passes no arguments to the application).
        os.environ["WEB_THREADS"] = str(options["threads"])
        os.environ["CALLDESK_PAGES"] = options["pages"]
        self.stdout.write(
            f"Calldesk on http://{options['host']}:{options['port']}/ "
            f"({options['workers']} workers x {options['threads']} threads, granian {options['interface'].upper()})"
        )
        self.stdout.flush()
        # exec, not a child process: signals from a terminal or a supervisor reach granian directly.
        os.execv(sys.executable, argv)  # noqa: S606 - argv is built above, no shell  # nosec B606
