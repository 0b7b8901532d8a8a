"""POST /api/calls: a phone system that cannot open a browser records a call (SPEC §6)."""

from __future__ import annotations

import pytest

from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call
from tests.apicast import other_org_token, post_form, post_json, token_for
from tests.cast import Cast


@pytest.fixture
def token(cast: Cast) -> str:
    return token_for(cast.admin)


def test_it_records_the_call_and_opens_the_agents_draft(cast: Cast, token: str) -> None:
    response = post_json(
        "/api/calls",
        {"reportVer": "9991234", "agent": "34", "ani": "999-123-4567", "dnis": "8886201111", "callId": "pbx-1"},
        token,
    )
    assert response.status_code == 201
    body = response.json()
    call = Call.objects.get()
    report = CallReport.objects.get()
    assert body["id"] == str(call.public_id) and body["callId"] == "pbx-1"
    assert body["agent"] == {"email": "sam@lifeline.example", "name": "Sam Specialist", "agentId": "34"}
    assert body["draft"]["id"] == str(report.public_id)
    assert body["draft"]["editorUrl"] == f"http://testserver/reports/{report.public_id}/"
    assert body["state"] == "ringing" and body["unassignedReason"] == "" and body["notices"] == []
    assert report.author == cast.specialist and report.agent == cast.specialist
    assert report.phone_e164 == "+19991234567"
    assert report.values["incoming_line"] == "Main line" and report.values["dialled_number"] == "8886201111"
    assert call.source == "api" and call.external_id == "pbx-1" and call.organization == cast.org_a


def test_the_draft_opens_in_the_editor_for_the_agent(cast: Cast, token: str) -> None:
    from django.test import Client

    body = post_json("/api/calls", {"reportVer": "9991234", "agent": "sam@LIFELINE.example"}, token).json()
    client = Client()
    client.force_login(cast.specialist)
    page = client.get(body["draft"]["editorUrl"].removeprefix("http://testserver"))
    assert page.status_code == 200 and b"Crisis call" in page.content


def test_it_reads_parameter_names_without_regard_to_case_like_the_telephony_url(cast: Cast, token: str) -> None:
    response = post_json("/api/calls", {"ReportVer": "9991234", "AGENT": "34", "Language": "112211"}, token)
    assert response.status_code == 201
    assert CallReport.objects.get().values["language"] == "Spanish"


def test_json_numbers_are_read_as_the_url_would_carry_them(cast: Cast, token: str) -> None:
    response = post_json("/api/calls", {"reportVer": 9991234, "agent": 34, "ani": 9991234567, "callId": 77}, token)
    assert response.status_code == 201
    assert response.json()["callId"] == "77"
    assert CallReport.objects.get().phone_e164 == "+19991234567"


def test_a_form_encoded_post_with_the_token_as_a_field_works_the_same(cast: Cast, token: str) -> None:
    response = post_form("/api/calls", {"reportVer": "9991234", "agent": "34", "language": "112211"}, token)
    assert response.status_code == 201
    report = CallReport.objects.get()
    assert report.agent == cast.specialist and report.values["language"] == "Spanish"
    # The token is how the phone system signs in, never a parameter of the call.
    assert all(name != "token" for name, _ in Call.objects.get().params)


def test_a_multipart_post_works_the_same(cast: Cast, token: str) -> None:
    response = post_form("/api/calls", {"reportVer": "9991234", "agent": "34"}, token, multipart=True)
    assert response.status_code == 201 and CallReport.objects.get().agent == cast.specialist


def test_a_parameter_sent_twice_counts_its_first_non_empty_value_and_says_so(cast: Cast, token: str) -> None:
    response = post_form("/api/calls", {"reportVer": "9991234", "agent": ["", "34", "35"]}, token)
    assert response.status_code == 201
    assert CallReport.objects.get().agent == cast.specialist
    assert any("sent 3 times" in notice for notice in response.json()["notices"])


def test_the_same_call_id_again_answers_200_with_the_same_call_and_one_draft(cast: Cast, token: str) -> None:
    payload = {"reportVer": "9991234", "agent": "34", "callId": "retry-me"}
    answers = [post_json("/api/calls", payload, token) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 200, 200, 200]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.json()["draft"]["id"] for a in answers}) == 1
    assert Call.objects.count() == 1 and CallReport.objects.count() == 1


def test_the_same_call_id_in_another_organization_is_another_call(cast: Cast, token: str) -> None:
    other = other_org_token(cast)
    first = post_json("/api/calls", {"reportVer": "9991234", "callId": "shared"}, token)
    second = post_json("/api/calls", {"reportVer": "5550001", "callId": "shared"}, other)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_calls_without_call_id_are_each_recorded(cast: Cast, token: str) -> None:
    for _ in range(2):
        assert post_json("/api/calls", {"reportVer": "9991234", "agent": "34"}, token).status_code == 201
    assert Call.objects.count() == 2 and CallReport.objects.count() == 2


def test_a_call_whose_agent_matches_nobody_is_recorded_without_a_draft_and_says_why(cast: Cast, token: str) -> None:
    response = post_json("/api/calls", {"reportVer": "9991234", "agent": "99", "callId": "lost"}, token)
    assert response.status_code == 201
    body = response.json()
    assert body["draft"] is None and body["agent"] is None
    assert body["unassignedReason"] == "Agent `99` matches no user; the Agent field is left empty."
    assert Call.objects.get().external_id == "lost" and not CallReport.objects.exists()


def test_an_agent_id_two_specialists_share_gives_no_draft(cast: Cast, token: str) -> None:
    cast.specialist2.agent_id = "34"
    cast.specialist2.save()
    body = post_json("/api/calls", {"reportVer": "9991234", "agent": "34"}, token).json()
    assert body["draft"] is None and "matches 2 users" in body["unassignedReason"]


def test_a_call_without_agent_waits_unassigned(cast: Cast, token: str) -> None:
    body = post_json("/api/calls", {"reportVer": "9991234", "ani": "9991234567"}, token).json()
    assert body["draft"] is None and body["unassignedReason"].startswith("No agent was sent")


def test_an_agent_of_another_organization_is_never_used(cast: Cast, token: str) -> None:
    body = post_json("/api/calls", {"reportVer": "9991234", "agent": "bea@other.example"}, token).json()
    assert body["draft"] is None and not CallReport.objects.exists()


def test_the_telephony_url_with_a_recorded_call_id_opens_that_calls_draft(cast: Cast, token: str) -> None:
    from django.test import Client

    body = post_json("/api/calls", {"reportVer": "9991234", "callId": "both-ways"}, token).json()
    client = Client()
    client.force_login(cast.specialist)
    opened = client.get("/Telephony/GetCallReport?reportVer=9991234&callId=both-ways&agent=34")
    report = CallReport.objects.get()
    assert opened.status_code == 303 and opened["Location"] == f"/reports/{report.public_id}/"
    assert str(report.call.public_id) == body["id"] and report.author == cast.specialist
    again = client.get("/Telephony/GetCallReport?reportVer=9991234&callId=both-ways")
    assert again["Location"] == opened["Location"] and CallReport.objects.count() == 1


def test_missing_report_ver_is_a_field_error(cast: Cast, token: str) -> None:
    response = post_json("/api/calls", {"agent": "34"}, token)
    assert response.status_code == 422
    assert "reportVer" in response.json()["errors"]
    assert not Call.objects.exists()


def test_another_organizations_report_ver_is_refused_like_an_unknown_one(cast: Cast, token: str) -> None:
    theirs = post_json("/api/calls", {"reportVer": "5550001"}, token)
    unknown = post_json("/api/calls", {"reportVer": "0000000"}, token)
    assert theirs.status_code == unknown.status_code == 422
    assert theirs.json() == unknown.json()
    assert not Call.objects.exists()


def test_get_is_not_a_way_to_record_a_call(cast: Cast, token: str) -> None:
    from django.test import Client

    response = Client().get("/api/calls?reportVer=9991234", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert not Call.objects.exists()
