"""Bad bodies get JSON with a message, never a 500 and never a half-written call (SPEC §6)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call
from tests.apicast import bearer, post_json, token_for
from tests.cast import Cast


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


def _post(token: str, body: bytes | str, content_type: str, path: str = "/api/calls") -> object:
    return Client().post(path, body, content_type=content_type, **bearer(token))


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("{not json", "application/json", 400, "The body is not valid JSON."),
        (b"\xff\xfe{}", "application/json", 400, "The body is not valid JSON."),
        ("[" * 50_000 + "]" * 50_000, "application/json", 413, "The body is larger than 64 KB."),
        ("[" * 10_000 + "]" * 10_000, "application/json", 400, "The body is not valid JSON."),
        ('["reportVer", "9991234"]', "application/json", 422, "The body must be a JSON object ({...})."),
        ('"9991234"', "application/json", 422, "The body must be a JSON object ({...})."),
        (
            "reportVer=9991234",
            "text/plain",
            415,
            "Send the body as application/json or application/x-www-form-urlencoded, not text/plain.",
        ),
        ("<call/>", "application/xml", 415, None),
    ],
)
def test_unreadable_bodies_are_refused_with_a_sentence(
    cast: Cast, token: str, body: str, content_type: str, status: int, message: str | None
) -> None:
    response = _post(token, body, content_type)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json; charset=utf-8"
    if message:
        assert response.json()["message"] == message
    assert not Call.objects.exists()


def test_a_huge_body_is_refused_before_it_is_read(cast: Cast, token: str) -> None:
    huge = json.dumps({"reportVer": "9991234", "notes": "x" * 200_000})
    response = _post(token, huge, "application/json")
    assert response.status_code == 413 and not Call.objects.exists()


def test_a_huge_form_body_is_refused_too(cast: Cast, token: str) -> None:
    response = _post(token, "reportVer=9991234&notes=" + "x" * 200_000, "application/x-www-form-urlencoded")
    assert response.status_code == 413 and not Call.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reportVer": True}, "reportVer"),
        ({"reportVer": {"id": 1}}, "reportVer"),
        ({"reportVer": "9991234", "agent": [[34]]}, "agent"),
        ({"reportVer": "9991234", "language": {"code": "112211"}}, "language"),
        ({"reportVer": "9991234", "callId": True}, "callId"),
        ({"reportVer": "9991234", "callId": "x" * 251}, "callId"),
    ],
)
def test_wrong_types_get_a_message_for_the_field(cast: Cast, token: str, payload: dict, field: str) -> None:
    response = post_json("/api/calls", payload, token)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Call.objects.exists()


def test_nul_bytes_are_dropped_not_stored(cast: Cast, token: str) -> None:
    response = post_json(
        "/api/calls", {"reportVer": "9991234", "agent": "3\u00004", "call\u0000Id": "a\u0000b", "dnis": "\u0000"}, token
    )
    assert response.status_code == 201
    call = Call.objects.get()
    assert all("\x00" not in name + value for name, value in call.params)
    assert CallReport.objects.get().agent == cast.specialist


def test_nul_bytes_in_a_form_body_and_a_hang_up_are_dropped(cast: Cast, token: str) -> None:
    assert _post(token, "reportVer=9991234&callId=n%00ul", "application/x-www-form-urlencoded").status_code == 201
    response = post_json("/api/calls/hangup", {"callId": "n\u0000ul", "cause": "bu\u0000sy"}, token)
    assert response.status_code == 200 and Call.objects.get().end_reason == "busy"


def test_lone_surrogates_in_a_value_are_replaced_and_in_a_name_refused(cast: Cast, token: str) -> None:
    in_value = _post(token, '{"reportVer": "9991234", "ani": "\\ud800"}', "application/json")
    assert in_value.status_code == 201
    assert Call.objects.get().params[1] == ["ani", "?"]
    in_name = _post(token, '{"reportVer": "9991234", "\\udfff": "x"}', "application/json")
    assert in_name.status_code == 422 and in_name.json()["errors"]
    assert Call.objects.count() == 1


def test_unknown_fields_of_a_call_are_parameters_kept_for_the_admins(cast: Cast, token: str) -> None:
    response = post_json("/api/calls", {"reportVer": "9991234", "queue": "youth", "ivr": 3}, token)
    assert response.status_code == 201
    assert Call.objects.get().unmapped == [["queue", "youth"], ["ivr", "3"]]


def test_an_empty_body_says_what_is_missing(cast: Cast, token: str) -> None:
    response = _post(token, "", "application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == {"body": "The body is empty: send the fields as JSON or form-encoded."}
