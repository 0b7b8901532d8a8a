"""A withheld number is never shown: whichever way the phone system (or the connector) says it
was withheld, Phone stays empty and the form says why."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from calldesk.lib.phones import read_phone
from calldesk.reports.models import CallReport
from tests.apicast import post_form, post_json, token_for
from tests.cast import Cast
from tests.test_telephony_url import pop

WITHHELD = [
    "anonymous",  # what the connector sends for a number whose presentation is prohibited
    "Anonymous",  # Five9's ANI
    "Restricted",
    "RESTRICTED",
    "private",
    "<unknown>",  # Asterisk's CallerIDNum when none was sent
    "sip:anonymous@anonymous.invalid",  # RFC 3323
    "anonymous@anonymous.invalid",
    '"Anonymous"',
    "0000000000",
]


@pytest.mark.parametrize("sent", WITHHELD)
def test_a_withheld_number_reads_as_withheld(sent: str) -> None:
    reading = read_phone(sent, "US")
    assert reading.e164 == "" and "withheld" in reading.problem


@pytest.mark.parametrize("sent", WITHHELD)
def test_an_api_call_with_a_withheld_number_leaves_phone_empty(cast: Cast, sent: str) -> None:
    token = token_for(cast.admin)
    body = {"reportVer": "9991234", "agent": "34", "ani": sent, "callId": "w-1"}
    answer = post_json("/api/calls", body, token).json()
    report = CallReport.objects.get()
    assert (report.phone_raw, report.phone_e164) == ("", "")
    assert any("withheld" in notice for notice in answer["notices"])
    # Form-encoded, as the connector's API sink and most phone systems post it.
    post_form("/api/calls", {**body, "callId": "w-2"}, token)
    assert CallReport.objects.get(call__external_id="w-2").phone_raw == ""


@pytest.mark.parametrize("sent", ["Anonymous", "Restricted"])
def test_five9s_withheld_ani_in_the_telephony_url_leaves_phone_empty(
    cast: Cast, specialist_client: Client, sent: str
) -> None:
    report = pop(specialist_client, f"reportVer=9991234&ani={quote(sent)}")
    assert (report.phone_raw, report.phone_e164) == ("", "")
    page = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert "withheld" in page
