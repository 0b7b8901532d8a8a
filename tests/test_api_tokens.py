"""Every API endpoint wants its organization's token: missing, wrong, revoked, in the address or
another organization's, it answers 401 or never shows the other organization's data (SPEC §6)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from calldesk.configure.models import ApiToken
from calldesk.telephony.models import Call
from tests.apicast import bearer, other_org_token, post_form, post_json, revoked_token, token_for
from tests.cast import Cast

WRITES = [
    ("/api/calls", {"reportVer": "9991234", "agent": "34", "callId": "c-1"}),
    ("/api/calls/hangup", {"callId": "c-1", "cause": "busy"}),
]
READS = ["/api/reports", "/api/forms/9991234"]


@pytest.mark.parametrize(("path", "payload"), WRITES)
def test_a_post_without_a_token_is_refused_and_records_nothing(cast: Cast, path: str, payload: dict) -> None:
    response = post_json(path, payload)
    assert response.status_code == 401
    assert "token" in response.json()["message"]
    assert not Call.objects.exists()


@pytest.mark.parametrize(("path", "payload"), WRITES)
def test_a_revoked_token_is_refused(cast: Cast, path: str, payload: dict) -> None:
    assert post_json(path, payload, revoked_token(cast.admin)).status_code == 401
    assert not Call.objects.exists()


@pytest.mark.parametrize("sent", ["cdk_not-a-real-token", "not-even-the-prefix", "", "cdk_" + "x" * 500])
def test_an_unknown_token_is_refused(cast: Cast, sent: str) -> None:
    response = Client().post(
        "/api/calls", json.dumps({"reportVer": "9991234"}), content_type="application/json", **bearer(sent)
    )
    assert response.status_code == 401


def test_a_basic_authorization_header_is_refused(cast: Cast) -> None:
    response = Client().post(
        "/api/calls",
        json.dumps({"reportVer": "9991234"}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + token_for(cast.admin),
    )
    assert response.status_code == 401


def test_a_token_in_the_query_string_is_refused_even_when_valid(cast: Cast) -> None:
    token = token_for(cast.admin)
    response = Client().post(f"/api/calls?token={token}", {"reportVer": "9991234"})
    assert response.status_code == 401
    assert "address" in response.json()["message"]
    assert not Call.objects.exists()


def test_a_token_field_in_a_json_body_is_not_a_way_in(cast: Cast) -> None:
    token = token_for(cast.admin)
    response = post_json("/api/calls", {"reportVer": "9991234", "token": token})
    assert response.status_code == 401


def test_a_form_token_field_works_and_a_wrong_one_does_not(cast: Cast) -> None:
    assert post_form("/api/calls", {"reportVer": "9991234"}, token_for(cast.admin)).status_code == 201
    assert post_form("/api/calls", {"reportVer": "9991234"}, "cdk_wrong").status_code == 401


def test_another_organizations_token_cannot_use_this_organizations_form_or_calls(cast: Cast) -> None:
    ours = post_json("/api/calls", {"reportVer": "9991234", "callId": "mine"}, token_for(cast.admin)).json()
    theirs = other_org_token(cast)
    assert post_json("/api/calls", {"reportVer": "9991234"}, theirs).status_code == 422
    assert Client().get(f"/api/calls/{ours['id']}", **bearer(theirs)).status_code == 404
    assert post_json(f"/api/calls/{ours['id']}/hangup", {"cause": "busy"}, theirs).status_code == 404
    # Their hang-up for our callId is theirs: kept for a call of theirs, ours stays ringing.
    assert post_json("/api/calls/hangup", {"callId": "mine", "cause": "busy"}, theirs).status_code == 202
    assert Call.objects.get(external_id="mine", organization=cast.org_a).ended_at is None
    assert Client().get("/api/forms/9991234", **bearer(theirs)).status_code == 404


@pytest.mark.parametrize("path", READS)
def test_reading_without_a_token_is_refused(cast: Cast, path: str) -> None:
    assert Client().get(path).status_code == 401
    assert Client().get(path, **bearer(revoked_token(cast.admin))).status_code == 401


def test_the_token_records_when_it_was_last_used(cast: Cast) -> None:
    token = token_for(cast.admin)
    assert ApiToken.objects.get().last_used_at is None
    before = timezone.now()
    post_json("/api/calls", {"reportVer": "9991234"}, token)
    used = ApiToken.objects.get().last_used_at
    assert used is not None and used >= before
