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


def test_pages_refuse_a_nul_in_the_query_string_or_a_form(cast: Cast, supervisor_client: Client) -> None:
    for path in ("/reports/?phone=212%00555", "/reports/?f_summary=a%00b", "/dashboards/?from=2026%00"):
        response = supervisor_client.get(path)
        assert response.status_code == 400, path
        assert "NUL" in response.content.decode()


def test_where_a_phone_system_announces_a_call_the_nul_is_dropped_and_the_call_kept(
    cast: Cast, specialist_client: Client
) -> None:
    # Every call announced is recorded: a PBX sending `ani=%00` for a withheld number still pops.
    popped = specialist_client.get("/telephony/getcallreport?reportVer=9991234&ani=%00&dnis=888%00620")
    assert popped.status_code == 303
    token = token_for(cast.admin)
    assert post_json("/api/calls", {"reportVer": "9991234", "ani": "999\u0000"}, token).status_code == 201
    assert Call.objects.count() == 2
    assert all("\x00" not in name + value for call in Call.objects.all() for name, value in call.params)


def test_the_rest_of_the_api_answers_a_nul_with_a_json_400(cast: Cast) -> None:
    token = token_for(cast.admin)
    query = Client().get("/api/reports?phone=1%00", **bearer(token))
    assert query.status_code == 400
    assert "NUL" in json.loads(query.content)["message"]
    assert Client().get("/api/forms/999%001234", **bearer(token)).status_code == 400


def test_the_same_requests_without_the_nul_go_through(cast: Cast) -> None:
    token = token_for(cast.admin)
    call = {"reportVer": "9991234", "agent": "34", "ani": "9991234567"}
    assert post_json("/api/calls", call, token).status_code == 201
    assert post_form("/api/calls", {"reportVer": "9991234", "ani": "1"}, token, multipart=True).status_code == 201
    login = Client().post("/accounts/login/", {"username": cast.specialist.email, "password": PASSWORD})
    assert login.status_code == 302
