"""PostgreSQL restarted under a running server (a fast shutdown, as `pg_ctlcluster restart` and
systemd do: every open connection is ended): while it is down every page, the API, the telephony
URL, an autosave and the console's stream answer 503 with Retry-After (never a 500); once it is
back everything answers again by itself, with the same sessions, and nothing acknowledged is lost.

The PostgreSQL here is the test's own (tests/private_servers.py): the machine's is shared."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.cast import PASSWORD
from tests.private_servers import PrivatePostgres, postgres_missing
from tests.push_servers import PhoneSystem, Serve, environment, make_cast, run_cli
from tests.server_process import csrf_header, fetch_rows, login

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_missing() is not None, reason=f"no private PostgreSQL: {postgres_missing()}"),
]

SPECIALIST = "sam@lifeline.example"
CALL = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"


@dataclass
class Site:
    postgres: PrivatePostgres
    database_url: str
    server: Serve
    token: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    postgres = PrivatePostgres()
    try:
        postgres.create()
        database_url = postgres.create_database("calldesk")
        env = environment(database_url, None)
        run_cli(env, "migrate", "-v0")
        token = make_cast(env)
        server = Serve(env, tmp_path_factory.mktemp("pg-restart") / "server.log", workers=1)
        server.start()
        try:
            yield Site(postgres, database_url, server, token)
        finally:
            server.stop()
    finally:
        postgres.destroy()


def editor_version(html: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return int(found.group(1))


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text[:500])
    assert answer.headers["Retry-After"]
    assert "Traceback" not in answer.text


def test_while_postgresql_restarts_everything_answers_503_and_recovers_by_itself(site: Site) -> None:
    client = httpx.Client(base_url=site.server.url, timeout=30)
    login(client, SPECIALIST, PASSWORD)
    phone = PhoneSystem(site.server.url, site.token)
    popped = client.get(CALL)
    assert popped.status_code == 303
    editor = popped.headers["location"]  # /reports/<id>/edit/
    save = editor.removesuffix("edit/") + "save"
    page = client.get(editor)
    version = editor_version(page.text)
    saved = client.post(save, data={"version": str(version), "f_summary": "before"}, headers=csrf_header(client))
    assert saved.status_code == 200, saved.text[:300]
    acknowledged = int(saved.json()["version"])

    site.postgres.stop()
    try:
        for path in ("/reports/", "/console/", "/dashboards/", editor, CALL):
            assert_unavailable(client.get(path))
        autosave = client.post(
            save, data={"version": str(acknowledged), "f_summary": "during"}, headers=csrf_header(client)
        )
        assert_unavailable(autosave)
        # The editor's script asked for JSON: it is told in JSON, as the API is.
        assert "database cannot be reached" in autosave.json()["message"]
        api = phone.client.post("/api/calls", json={"reportVer": "9991234", "ani": "9995550101", "agent": SPECIALIST})
        assert_unavailable(api)
        assert "database cannot be reached" in api.json()["message"]
        stream = client.get("/console/events")
        assert_unavailable(stream)
    finally:
        site.postgres.start()

    # Back: the same session, the same server, no restart; the first requests may still meet a
    # connection ended by the shutdown, and must not answer 500 for it either.
    deadline = time.monotonic() + 20
    while True:
        answer = client.get("/reports/")
        assert answer.status_code in (200, 503), (answer.status_code, answer.text[:500])
        if answer.status_code == 200:
            break
        assert time.monotonic() < deadline, "the server did not recover within 20 s"
        time.sleep(0.2)
    assert client.get(editor).status_code == 200
    resaved = client.post(save, data={"version": str(acknowledged), "f_summary": "after"}, headers=csrf_header(client))
    assert resaved.status_code == 200, resaved.text[:300]
    assert phone.post_call("9995550102", SPECIALIST)["report"]
    with client.stream("GET", "/console/events") as stream_back:
        assert stream_back.status_code == 200
    rows = fetch_rows(site.database_url, "SELECT version FROM reports_callreport")
    assert max(int(str(row[0])) for row in rows) >= acknowledged + 1
    phone.close()
    client.close()
