"""The caller's number stays out of every log, whichever server runs:
runserver's request lines, Django's request logger for 4xx and 5xx, granian's access log."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from django.utils.module_loading import import_string

from calldesk.ops.management.commands.serve import granian_log_config
from tests.server_process import ROOT, free_port, manage, scratch_database

NUMBER = "999-123-4567"
URL = f"/Telephony/GetCallReport?reportVer=9991234&agent=34&ani={NUMBER}"


@contextmanager
def captured(logger_name: str) -> Iterator[io.StringIO]:
    """What the logger's configured handlers (settings.LOGGING) write, read back."""
    out = io.StringIO()
    logger = logging.getLogger(logger_name)
    handlers = logger.handlers or logging.getLogger().handlers
    assert handlers, f"{logger_name} has handlers"
    old = [handler.setStream(out) for handler in handlers if isinstance(handler, logging.StreamHandler)]
    try:
        yield out
    finally:
        for handler, stream in zip(handlers, old, strict=False):
            if stream is not None and isinstance(handler, logging.StreamHandler):
                handler.setStream(stream)


def test_djangos_request_logger_writes_the_path_without_the_query_string() -> None:
    with captured("django.request") as out:
        logging.getLogger("django.request").error("Internal Server Error: %s", URL)
    assert "Internal Server Error: /Telephony/GetCallReport" in out.getvalue()
    assert NUMBER not in out.getvalue()


def test_the_development_servers_request_line_has_no_query_string() -> None:
    with captured("django.server") as out:
        logging.getLogger("django.server").info('"%s" %s %s', f"GET {URL} HTTP/1.1", "303", "0")
    assert '"GET /Telephony/GetCallReport HTTP/1.1" 303' in out.getvalue()
    assert NUMBER not in out.getvalue()


def test_granians_access_log_drops_the_query_string_whatever_its_format() -> None:
    """The log configuration `calldesk serve` gives granian puts the same filter on its access log."""
    config = json.loads(granian_log_config().read_text())
    assert config["loggers"]["granian.access"]["handlers"] == ["access"]
    (name,) = config["handlers"]["access"]["filters"]
    scrubber = import_string(config["filters"][name]["()"])()
    line = "%(method)s %(path)s?%(query_string)s %(status)d %(referer)s"
    parts = {
        "method": "GET",
        "path": "/Telephony/GetCallReport",
        "query_string": URL.split("?")[1],
        "status": 303,
        "referer": "https://pbx.example" + URL,
    }
    record = logging.LogRecord("granian.access", logging.INFO, __file__, 1, line, (parts,), None)
    assert scrubber.filter(record)
    assert record.getMessage() == "GET /Telephony/GetCallReport? 303 https://pbx.example/Telephony/GetCallReport"


@pytest.mark.slow
def test_calldesk_runserver_never_logs_the_callers_number() -> None:
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        manage(database_url, "demo")
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "calldesk.settings",
            "DATABASE_URL": database_url,
            "CALLDESK_PLAIN_STATIC": "1",
            "AXES_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }
        argv = [sys.executable, "-m", "calldesk.cli", "runserver", f"127.0.0.1:{port}", "--noreload"]
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "runserver did not start"
                    time.sleep(0.2)
            assert httpx.get(f"http://127.0.0.1:{port}{URL}").status_code == 302  # to the login page
            assert httpx.get(f"http://127.0.0.1:{port}/nowhere?ani={NUMBER}").status_code == 404
            time.sleep(0.5)
        finally:
            process.terminate()
            output = process.communicate(timeout=15)[0].decode()
    assert '"GET /Telephony/GetCallReport HTTP/1.1" 302' in output
    assert "/nowhere" in output
    assert NUMBER not in output and "ani=" not in output
