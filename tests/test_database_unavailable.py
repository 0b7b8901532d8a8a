"""While the database cannot be reached, every page answers 503 saying so (the call is not
lost: reload), the API answers JSON 503 with Retry-After, and `/readyz` keeps its own answer.
Tried against a real server process whose database is on a closed port (or a missing file)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings

from tests.server_process import Server, free_port

CALL = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"


@pytest.fixture(scope="module")
def server_without_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        url = f"postgres://postgres@127.0.0.1:{free_port()}/calldesk"  # nothing listens there
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('gone')}/no/such/dir/calldesk.sqlite3"
    server = Server(url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def assert_says_reload(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    html = response.text
    assert 'id="error-page"' in html
    assert "cannot reach its database" in html
    assert "Your call is not lost" in html and "Reload this page" in html
    assert "999-123-4567" not in html and "9991234567" not in html  # the caller's number is not echoed


@pytest.mark.slow
def test_the_telephony_url_of_a_logged_in_specialist_answers_503_saying_to_reload(
    server_without_database: Server,
) -> None:
    # A logged-in browser sends its session cookie; reading the session needs the database.
    response = httpx.get(server_without_database.url + CALL, cookies={"sessionid": "a" * 32})
    assert_says_reload(response)
    assert_says_reload(
        httpx.post(
            server_without_database.url + "/Telephony/GetCallReport",
            data={"reportVer": "1"},
            cookies={"sessionid": "a" * 32},
        )
    )


@pytest.mark.slow
def test_every_page_and_the_login_answer_503(server_without_database: Server) -> None:
    with httpx.Client(base_url=server_without_database.url) as client:
        login_page = client.get("/accounts/login/")  # needs no database: the form is shown
        assert login_page.status_code == 200
        token = login_page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        login = client.post(
            "/accounts/login/", data={"username": "a@b.example", "password": "x", "csrfmiddlewaretoken": token}
        )
        assert_says_reload(login)
        client.cookies.set("sessionid", "b" * 32)
        for path in ("/reports/", "/console/", "/dashboards/"):
            assert_says_reload(client.get(path))
        stream = client.get("/console/events")  # the console's live stream tries again by itself
        assert stream.status_code == 503 and "database cannot be reached" in stream.text


@pytest.mark.slow
def test_the_api_answers_json_503_and_readyz_keeps_its_answer(server_without_database: Server) -> None:
    url = server_without_database.url
    call = httpx.post(url + "/api/calls", json={"reportVer": "9991234"}, headers={"Authorization": "Bearer cdk_x"})
    assert call.status_code == 503
    assert call.headers["Retry-After"]
    assert "database cannot be reached" in call.json()["message"]
    ready = httpx.get(url + "/readyz")
    assert (ready.status_code, ready.text) == (503, "not ready: database unavailable")
    assert httpx.get(url + "/healthz").status_code == 200
