"""A NUL character in any text input is refused with a 400 that says so, before it reaches the
database: PostgreSQL cannot store one and answered the login page with a 500."""

from __future__ import annotations

import json

from django.test import Client

from calldesk.accounts.models import LoginAttempt
from calldesk.telephony.models import Call
from tests.apicast import bearer, post_form, post_json, token_for
from tests.cast import PASSWORD, Cast


def test_the_login_page_refuses_a_nul_in_the_email_with_a_400(cast: Cast) -> None:
    response = Client().post("/accounts/login/", {"username": "sue\x00@lifeline.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not LoginAttempt.objects.exists()  # refused before anything is written


def test_a_nul_in_a_password_or_a_field_name_is_refused_too(cast: Cast) -> None:
    wrong_password = {"username": cast.specialist.email, "password": "a\x00b"}
    assert Client().post("/accounts/login/", wrong_password).status_code == 400
    assert Client().post("/accounts/login/", {"user\x00name": "x"}).status_code == 400


def test_the_telephony_url_refuses_a_nul_in_any_parameter(cast: Cast, specialist_client: Client) -> None:
    for query in ("reportVer=9991234&ani=999%00123", "reportVer=9991234&dn%00is=1", "reportVer=999%001234"):
        response = specialist_client.get(f"/Telephony/GetCallReport?{query}")
        assert response.status_code == 400, query
    posted = specialist_client.post("/Telephony/GetCallReport", {"reportVer": "9991234", "ani": "1\x00"})
    assert posted.status_code == 400
    assert not Call.objects.exists()


def test_the_api_answers_a_nul_with_a_json_400_whatever_the_body(cast: Cast) -> None:
    token = token_for(cast.admin)
    as_json = post_json("/api/calls", {"reportVer": "9991234", "agent": "34", "ani": "999\u0000"}, token)
    assert as_json.status_code == 400
    assert "NUL" in as_json.json()["message"]
    nested = post_json("/api/calls", {"reportVer": "9991234", "extra": [{"k\u0000": 1}]}, token)
    assert nested.status_code == 400
    assert post_form("/api/calls", {"reportVer": "9991234", "ani": "1\x00"}, token).status_code == 400
    assert post_form("/api/calls", {"reportVer": "9991234", "ani": "1\x00"}, token, multipart=True).status_code == 400
    query = Client().get("/api/reports?phone=1%00", **bearer(token))
    assert query.status_code == 400
    assert json.loads(query.content)["message"]
    assert not Call.objects.exists()


def test_the_same_requests_without_the_nul_go_through(cast: Cast) -> None:
    token = token_for(cast.admin)
    call = {"reportVer": "9991234", "agent": "34", "ani": "9991234567"}
    assert post_json("/api/calls", call, token).status_code == 201
    assert post_form("/api/calls", {"reportVer": "9991234", "ani": "1"}, token, multipart=True).status_code == 201
    login = Client().post("/accounts/login/", {"username": cast.specialist.email, "password": PASSWORD})
    assert login.status_code == 302
