"""Zammad-compatible CTI: POST /api/v1/cti/{token} with Zammad's generic CTI events, exactly as a
phone system set up for Zammad sends them (SPEC §6)."""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import urlencode

import pytest
from django.test import Client

from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call, PendingAnswer, PendingHangup
from tests.apicast import other_org_token, revoked_token, token_for
from tests.cast import Cast


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


def zammad(token: str, fields: dict | list) -> object:
    """Form-encoded as Zammad's documentation shows it (curl --data)."""
    return Client().post(
        f"/api/v1/cti/{token}", urlencode(fields, doseq=True), content_type="application/x-www-form-urlencoded"
    )


NEW_CALL = {
    "event": "newCall",
    "from": "4930609854180",
    "to": "8886201111",
    "direction": "in",
    "callId": "4991155921769858278-1",
    "user[]": ["Sam Specialist", "Kim Specialist"],
    "queue": "helpdesk",
}


def test_a_zammad_session_records_rings_answers_and_ends_the_call(cast: Cast, token: str) -> None:
    first = zammad(token, NEW_CALL)
    assert first.status_code == 200 and first.json()["state"] == "ringing"
    call = Call.objects.get()
    assert call.external_id == "4991155921769858278-1" and call.form == cast.form_a
    assert not CallReport.objects.exists()  # ringing for a group: nobody's draft yet

    answered = zammad(
        token,
        {
            "event": "answer",
            "from": "4930609854180",
            "to": "8886201111",
            "direction": "in",
            "callId": "4991155921769858278-1",
            "user": "Kim Specialist",
            "answeringNumber": "35",
        },
    )
    assert answered.status_code == 200 and answered.json()["state"] == "talking"
    report = CallReport.objects.get()
    assert report.author == cast.specialist2 and report.agent == cast.specialist2
    assert report.phone_e164 == "+4930609854180"
    assert report.values["incoming_line"] == "Main line"  # `to` is the dialled line, through the mappings
    assert report.call_start == call.received_at

    ended = zammad(
        token,
        {
            "event": "hangup",
            "from": "4930609854180",
            "to": "8886201111",
            "direction": "in",
            "callId": "4991155921769858278-1",
            "cause": "normalClearing",
            "answeringNumber": "35",
        },
    )
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    call.refresh_from_db()
    assert call.answered_at is not None and call.ended_at is not None and call.end_reason == "normalClearing"


def test_json_events_work_the_same(cast: Cast, token: str) -> None:
    response = Client().post(
        f"/api/v1/cti/{token}",
        json.dumps(
            {
                "event": "newCall",
                "from": "493055571600",
                "to": "8886202222",
                "direction": "in",
                "callId": "json-1",
                "user": "Sam Specialist",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Call.objects.get().external_id == "json-1"


def test_multipart_events_like_curl_form_work_the_same(cast: Cast, token: str) -> None:
    response = Client().post(f"/api/v1/cti/{token}", {**NEW_CALL, "user[]": "Sam"})
    assert response.status_code == 200 and Call.objects.count() == 1


def test_answer_by_email_in_user_opens_the_draft_for_that_specialist(cast: Cast, token: str) -> None:
    zammad(token, NEW_CALL)
    zammad(token, {"event": "answer", "callId": NEW_CALL["callId"], "direction": "in", "user": "sam@lifeline.example"})
    assert CallReport.objects.get().author == cast.specialist


def test_an_answer_nobody_can_be_found_for_marks_the_call_talking_without_a_draft(cast: Cast, token: str) -> None:
    zammad(token, NEW_CALL)
    response = zammad(token, {"event": "answer", "callId": NEW_CALL["callId"], "user": "Someone Else"})
    assert response.json()["state"] == "talking" and not CallReport.objects.exists()


def test_a_repeated_new_call_is_the_same_call(cast: Cast, token: str) -> None:
    ids = {zammad(token, NEW_CALL).json()["id"] for _ in range(3)}
    assert len(ids) == 1 and Call.objects.count() == 1


def test_an_answer_after_the_hang_up_changes_nothing(cast: Cast, token: str) -> None:
    zammad(token, NEW_CALL)
    zammad(token, {"event": "hangup", "callId": NEW_CALL["callId"], "cause": "cancel"})
    late = zammad(token, {"event": "answer", "callId": NEW_CALL["callId"], "answeringNumber": "34"})
    assert late.json()["state"] == "ended"
    call = Call.objects.get()
    assert call.answered_at is None and call.end_reason == "cancel" and not CallReport.objects.exists()


def test_a_hang_up_before_the_new_call_is_kept_for_it(cast: Cast, token: str) -> None:
    assert zammad(token, {"event": "hangup", "callId": "late-new", "cause": "noAnswer"}).status_code == 202
    assert PendingHangup.objects.count() == 1
    assert zammad(token, {**NEW_CALL, "callId": "late-new"}).json()["state"] == "ended"


def test_an_answer_before_its_new_call_is_kept_and_applied_when_the_call_arrives(cast: Cast, token: str) -> None:
    early = zammad(token, {"event": "answer", "callId": "early", "answeringNumber": "35"})
    assert early.status_code == 202 and early.json()["state"] == "pending"
    assert PendingAnswer.objects.count() == 1 and not Call.objects.exists()
    assert zammad(token, {**NEW_CALL, "callId": "early"}).json()["state"] == "talking"
    call = Call.objects.get()
    assert call.answered_by == cast.specialist2 and call.answered_at is not None
    # The draft is the answerer's, and the kept answer is used up.
    assert CallReport.objects.get().author == cast.specialist2 and not PendingAnswer.objects.exists()


def test_an_answer_that_names_nobody_before_its_call_still_makes_it_talking(cast: Cast, token: str) -> None:
    assert zammad(token, {"event": "answer", "callId": "early", "user": "Someone Else"}).status_code == 202
    assert zammad(token, {**NEW_CALL, "callId": "early"}).json()["state"] == "talking"
    assert Call.objects.get().answered_by is None and not CallReport.objects.exists()


def test_an_outbound_call_takes_the_called_number_as_the_callers(cast: Cast, token: str) -> None:
    zammad(token, {**NEW_CALL, "direction": "out", "from": "8886201111", "to": "9991234567", "callId": "out-1"})
    zammad(token, {"event": "answer", "callId": "out-1", "answeringNumber": "34"})
    assert CallReport.objects.get().phone_e164 == "+19991234567"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"event": "ring", "callId": "1"}, "event"),
        ({"event": "newCall"}, "callId"),
        ({"event": "newCall", "callId": "1", "direction": "sideways"}, "direction"),
        ({"event": "hangup", "callId": "1", "cause": "c" * 41}, "cause"),
        ({"event": "newCall", "callId": "x" * 251}, "callId"),
    ],
)
def test_bad_events_get_a_message_for_the_field(cast: Cast, token: str, fields: dict, field: str) -> None:
    response = zammad(token, fields)
    assert response.status_code == 422 and field in response.json()["errors"]
    assert not Call.objects.exists() and not PendingHangup.objects.exists()


def test_wrong_revoked_and_missing_tokens_are_refused_before_the_body_is_read(cast: Cast) -> None:
    for bad in ("cdk_wrong", revoked_token(cast.admin), "nothing"):
        response = zammad(bad, {"event": "ring"})
        assert response.status_code == 401
    assert Client().post("/api/v1/cti/", {"event": "newCall"}).status_code == 404
    assert not Call.objects.exists()


def test_another_organizations_token_records_into_its_own_organization(cast: Cast) -> None:
    zammad(other_org_token(cast), NEW_CALL)
    call = Call.objects.get()
    assert call.organization == cast.org_b and call.form == cast.form_b


def test_a_wrong_content_type_is_refused(cast: Cast, token: str) -> None:
    response = Client().post(f"/api/v1/cti/{token}", "event=newCall", content_type="text/plain")
    assert response.status_code == 415


def test_the_token_in_the_path_never_reaches_djangos_request_log(cast: Cast, token: str) -> None:
    """Django's request logger names the path of every 4xx and 5xx answer, through the handlers
    LOGGING configures; the CTI path's token is scrubbed there."""
    logger = logging.getLogger("django.request")
    handler = logger.handlers[0]
    stream = io.StringIO()
    saved_stream, saved_level = handler.stream, logger.level  # type: ignore[attr-defined]
    handler.stream = stream  # type: ignore[attr-defined]
    logger.setLevel(logging.DEBUG)
    try:
        zammad("cdk_SeCrEt", {"event": "newCall", "callId": "1"})
        zammad(token, {"event": "sideways", "callId": "1"})
    finally:
        handler.stream = saved_stream  # type: ignore[attr-defined]
        logger.setLevel(saved_level)
    written = stream.getvalue()
    assert "/api/v1/cti/[token]" in written
    assert "SeCrEt" not in written and token not in written


def test_get_is_not_an_event(cast: Cast, token: str) -> None:
    assert Client().get(f"/api/v1/cti/{token}?event=newCall&callId=1").status_code == 405
    assert not Call.objects.exists()


def test_an_answer_after_the_form_was_retired_still_marks_the_call_talking(cast: Cast, token: str) -> None:
    from django.utils import timezone

    zammad(token, NEW_CALL)
    cast.form_a.retired_at = timezone.now()
    cast.form_a.save()
    response = zammad(token, {"event": "answer", "callId": NEW_CALL["callId"], "answeringNumber": "34"})
    assert response.status_code == 200 and response.json()["state"] == "talking"
    assert Call.objects.get().answered_at is not None and not CallReport.objects.exists()
