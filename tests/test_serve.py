"""`calldesk serve`, the production server (docs/serving.md), started for real in a child process:
long telephony URLs pass through it, and its access log never holds a query string."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server_process import ROOT, free_port, login, manage, scratch_database

pytestmark = pytest.mark.slow

CALLER = "9991234567"


class Served:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with scratch_database() as database_url:
        manage(database_url, "migrate", "-v0")
        manage(database_url, "demo")
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "calldesk.settings",  # as in production, not the test settings
            "DATABASE_URL": database_url,
            "CALLDESK_PLAIN_STATIC": "1",
            "SECRET_KEY": "test-serve-" + secrets.token_urlsafe(40),
        }
        # The real command line; collectstatic is skipped so tests never write to staticfiles/.
        argv = [sys.executable, "-m", "calldesk.cli", "serve", "--port", str(port), "--workers", "1"]
        argv += ["--threads", "2", "--access-log", "--skip-collectstatic"]
        with log.open("wb") as out:
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90  # a loaded CI machine starts Django slowly
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start within 90 s"
                time.sleep(0.1)
            yield Served(url, log)
        finally:
            process.terminate()
            process.wait(15)


def test_it_answers_a_telephony_url_of_more_than_8_kb_with_the_draft(served: Served) -> None:
    query = f"reportVer=1234567&ani={CALLER}&language=112211&notes=" + "n" * 9000
    assert len(f"/Telephony/GetCallReport?{query}") > 9000
    with httpx.Client(base_url=served.url) as client:
        login(client, "maria@acme.com", "calldesk-demo")
        response = client.get(f"/Telephony/GetCallReport?{query}")
        assert response.status_code == 303, response.text[:300]
        assert re.fullmatch(r"/reports/[0-9a-f-]{36}/", response.headers["location"])
        assert client.get(response.headers["location"]).status_code == 200


def test_a_long_url_opened_logged_out_leads_to_the_draft_after_login(served: Served) -> None:
    query = "reportVer=1234567&notes=" + "m" * 8500
    with httpx.Client(base_url=served.url) as client:
        to_login = client.get(f"/Telephony/GetCallReport?{query}")
        assert to_login.status_code == 302
        resume = to_login.headers["location"].split("next=", 1)[1]
        login(client, "bob@acme.com", "calldesk-demo")
        response = client.get(resume)
        assert response.status_code == 303, response.text[:300]
        assert re.fullmatch(r"/reports/[0-9a-f-]{36}/", response.headers["location"])


def test_the_access_log_names_paths_but_never_the_query_string(served: Served) -> None:
    httpx.get(f"{served.url}/Telephony/GetCallReport?reportVer=1234567&ani={CALLER}")
    time.sleep(0.5)  # the log is written after the answer
    log = served.log.read_text()
    assert "GET /Telephony/GetCallReport HTTP/1.1" in log
    assert CALLER not in log
    assert "reportVer" not in log


def test_the_access_log_never_holds_the_token_of_a_zammad_cti_path(served: Served) -> None:
    secret = "cdk_SeCrEtToKeNiNtHePaTh"
    answer = httpx.post(f"{served.url}/api/v1/cti/{secret}", data={"event": "newCall", "callId": "1"})
    assert answer.status_code == 401
    time.sleep(0.5)
    log = served.log.read_text()
    assert "POST /api/v1/cti/[token] HTTP/1.1" in log
    assert secret not in log


def test_serve_refuses_a_worker_count_of_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "calldesk.cli", "serve", "--workers", "0", "--skip-collectstatic"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--workers must be a positive number" in done.stderr


def test_many_open_browser_connections_are_all_answered(served: Served) -> None:
    """Browsers keep connections open between requests. The server runs 2 request threads here;
    ten specialists' idle keep-alive connections must not stop an eleventh from being answered."""
    clients = [httpx.Client(base_url=served.url, timeout=5) for _ in range(10)]
    try:
        for client in clients:
            assert client.get("/healthz").status_code == 200  # each keeps its connection open
        with httpx.Client(base_url=served.url, timeout=5) as late:
            assert late.get("/healthz").status_code == 200
        for client in clients:
            assert client.get("/healthz").status_code == 200
    finally:
        for client in clients:
            client.close()
