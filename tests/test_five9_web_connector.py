"""Five9's web connectors (docs/phone-systems/five9.md): the GET a browser opens on call accept and
the form-encoded POST, with Five9's variables in the forms Five9 fills them in, pop the right report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from calldesk.configure.tokens import create_token
from calldesk.reports.models import CallReport
from calldesk.telephony.models import Call
from tests.cast import Cast
from tests.test_telephony_url import URL, call_of, pop, report_at

# What the connector's parameters hold once Five9 has replaced @Call.ANI@ and the others.
FIVE9 = {
    "reportVer": "9991234",
    "agent": "sam@lifeline.example",  # @Agent.user_name@: Five9 user names are often e-mail addresses
    "callStart": "Mon, 22 Sep 2008 10:01:54",  # @Call.start_timestamp@, in the domain's zone
    "ani": "9255551212",  # @Call.ANI@: ten digits, no country code
    "dnis": "8886201111",  # @Call.DNIS@
    "callId": "94EC5C196B8F4AF2B8213CEB2E3A02EF",  # @Call.session_id@
    "five9CallId": "300000000000482",  # @Call.call_id@
    "campaign": "211 Main Line",  # @Call.campaign_name@
    "language": "112211",  # an IVR choice kept in a call variable
}


def check(report: CallReport, cast: Cast) -> None:
    assert report.agent == cast.specialist
    assert report.call_start == datetime(2008, 9, 22, 14, 1, 54, tzinfo=UTC)  # New York, summer time
    assert report.phone_e164 == "+19255551212"
    call = call_of(report)
    assert not [n for n in call.notices if "call start" in n.lower()]


def test_the_browser_get_on_call_accept_opens_the_right_report(cast: Cast, specialist_client: Client) -> None:
    query = (
        "reportVer=9991234&agent=sam%40lifeline.example&callStart=Mon%2C%2022%20Sep%202008%2010%3A01%3A54"
        "&ani=9255551212&dnis=8886201111&callId=94EC5C196B8F4AF2B8213CEB2E3A02EF&five9CallId=300000000000482"
        "&campaign=211%20Main%20Line&language=112211"
    )
    report = pop(specialist_client, query)
    check(report, cast)
    assert report.values.get("language") == "Spanish"
    assert report.values.get("incoming_line") == "Main line"


def test_the_form_encoded_post_opens_the_same_report(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.post(URL, data=FIVE9)
    assert response.status_code == 303
    check(report_at(response["Location"]), cast)


@pytest.mark.parametrize(
    ("sent", "utc"),
    [
        ("Mon, 22 Sep 2008 10:01:54", "2008-09-22T14:01:54"),
        ("22 Sep 2008 10:01:54", "2008-09-22T14:01:54"),
        ("Mon, 22 Sep 2008 14:01:54 GMT", "2008-09-22T14:01:54"),
        ("2008-09-22 10:01:54.250", "2008-09-22T14:01:54.250000"),
        ("2008-09-22T14:01:54.512Z", "2008-09-22T14:01:54.512000"),
    ],
)
def test_five9_timestamps_are_read(cast: Cast, specialist_client: Client, sent: str, utc: str) -> None:
    response = specialist_client.post(URL, data={**FIVE9, "callStart": sent})
    assert report_at(response["Location"]).call_start == datetime.fromisoformat(utc).replace(tzinfo=UTC)


def test_a_withheld_five9_caller_leaves_the_phone_empty_and_says_so(cast: Cast, specialist_client: Client) -> None:
    for withheld in ("Anonymous", "0000000000"):
        response = specialist_client.post(URL, data={**FIVE9, "ani": withheld, "callId": withheld})
        report = report_at(response["Location"])
        assert report.phone_e164 == ""
        assert [n for n in call_of(report).notices if "withheld" in n.lower() or "unreadable" in n.lower()]


def test_an_agent_not_logged_in_is_sent_to_the_login_page_and_keeps_the_call(cast: Cast) -> None:
    response = Client().get(f"{URL}?reportVer=9991234&ani=9255551212&agent=sam%40lifeline.example")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_silent_post_on_disconnect_ends_the_call_the_browser_opened(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&agent=34&ani=9255551212&callId=94EC5C196B8F4AF2B8213CEB2E3A02EF")
    token = create_token(cast.admin, "Five9").raw
    # Five9 posts form-encoded and cannot set headers: the token is a form field.
    answer = Client().post(
        "/api/calls/hangup",
        data={"token": token, "callId": "94EC5C196B8F4AF2B8213CEB2E3A02EF", "cause": "normalClearing"},
    )
    assert answer.status_code == 200, answer.content[:300]
    call = Call.objects.get(pk=call_of(report).pk)
    assert call.end_reason == "normalClearing" and call.ended_at is not None


def test_a_disconnect_post_before_the_pop_is_kept_until_the_call_arrives(cast: Cast, specialist_client: Client) -> None:
    token = create_token(cast.admin, "Five9").raw
    answer = Client().post("/api/calls/hangup", data={"token": token, "callId": "EARLY0001", "cause": "normalClearing"})
    assert answer.status_code == 202
    report = pop(specialist_client, "reportVer=9991234&agent=34&ani=9255551212&callId=EARLY0001")
    assert call_of(report).end_reason == "normalClearing"
