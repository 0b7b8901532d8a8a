"""Wrong API tokens are slowed by the client's address, never by the token: after 20 wrong
ones an address is answered 429 with Retry-After (its right token too, so the answer tells a
guesser nothing), while the same right token from another address goes on working."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client, override_settings

from calldesk.accounts.models import LoginAttempt
from tests.apicast import token_for
from tests.cast import Cast

GUESSER = "203.0.113.9"
PBX = "198.51.100.20"
CALL = {"reportVer": "9991234", "agent": "34"}


def post_call(address: str, token: str, path: str = "/api/calls") -> Any:
    return Client(REMOTE_ADDR=address).post(
        path, json.dumps(CALL), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_an_address_guessing_tokens_is_answered_429_and_the_right_token_elsewhere_still_works(cast: Cast) -> None:
    good = token_for(cast.admin)
    answers = [post_call(GUESSER, f"cdk_guess{n}").status_code for n in range(25)]
    assert answers[:20] == [401] * 20
    assert set(answers[20:]) == {429}
    refused = post_call(GUESSER, good)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Too many wrong API tokens" in refused.json()["message"]
    # Refused tries are not counted: hammering does not lengthen the wait.
    assert LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.TOKEN_FAILURE).count() == 20
    # Never by token: the phone system's own address is unaffected, with the very same token.
    assert post_call(PBX, good).status_code == 201
    assert post_call(PBX, "cdk_wrong").status_code == 401


def test_the_zammad_path_token_and_form_tokens_count_alike(cast: Cast) -> None:
    for n in range(20):
        response = Client(REMOTE_ADDR=GUESSER).post(
            f"/api/v1/cti/cdk_guess{n}", {"event": "newCall", "from": "1", "to": "2", "callId": str(n)}
        )
        assert response.status_code == 401
    form = Client(REMOTE_ADDR=GUESSER).post("/api/calls", {**CALL, "token": "cdk_x"})
    assert form.status_code == 429
    assert form["Retry-After"]


@override_settings(TRUSTED_PROXIES=1)
def test_behind_the_proxy_each_client_address_counts_on_its_own(cast: Cast) -> None:
    good = token_for(cast.admin)
    for n in range(21):
        Client(REMOTE_ADDR="10.0.0.2").post(
            "/api/calls",
            json.dumps(CALL),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer cdk_{n}",
            HTTP_X_FORWARDED_FOR=GUESSER,
        )
    pbx = Client(REMOTE_ADDR="10.0.0.2").post(
        "/api/calls",
        json.dumps(CALL),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {good}",
        HTTP_X_FORWARDED_FOR=PBX,
    )
    assert pbx.status_code == 201
