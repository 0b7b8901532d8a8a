"""Mappings match phone-number values by their E.164 form: a rule written for `8886201111`
matches `+18886201111` as Twilio sends it, and the URL tester says it matched that way."""

from __future__ import annotations

import pytest
from django.test import Client

from calldesk.callforms.setups import form_setup
from calldesk.reports.models import CallReport
from calldesk.telephony.reading import apply_mappings
from tests.apicast import post_form, token_for
from tests.cast import Cast, make_form
from tests.test_telephony_url import pop


@pytest.mark.parametrize(
    ("dnis", "line"),
    [
        ("%2B18886201111", "Main line"),  # E.164, as Twilio's {{trigger.call.To}} gives it
        ("1-888-620-1111", "Main line"),
        ("(888)%20620-2222", "Youth line"),
        ("%2B1%20888%20620%202222", "Youth line"),
    ],
)
def test_a_number_written_another_way_matches_the_rule(
    cast: Cast, specialist_client: Client, dnis: str, line: str
) -> None:
    report = pop(specialist_client, f"reportVer=9991234&dnis={dnis}")
    assert report.values["incoming_line"] == line
    # The any-value rule still copies the value as sent.
    assert report.values["dialled_number"].replace(" ", "").replace("+", "") != ""


def test_twilio_posted_as_the_set_up_note_says_fills_the_incoming_line(cast: Cast) -> None:
    token = token_for(cast.admin)
    answer = post_form(
        "/api/calls",
        {"reportVer": "9991234", "ani": "+15551234567", "dnis": "+18886201111", "callId": "CA01", "agent": "34"},
        token,
    ).json()
    assert answer["notices"] == []
    assert CallReport.objects.get().values["incoming_line"] == "Main line"


def test_a_rule_written_in_e164_matches_the_national_form(cast: Cast, specialist_client: Client) -> None:
    form = make_form(
        cast.org_a,
        "7770001",
        {"fields": [{"key": "line", "label": "Line", "type": "choice", "choices": [{"label": "Crisis"}]}]},
        mappings=[("dnis", "+18886209999", "line", "Crisis")],
    )
    assert pop(specialist_client, f"reportVer={form.report_ver}&dnis=8886209999").values["line"] == "Crisis"


@pytest.mark.parametrize("dnis", ["88862011", "8886201111x", "line-8886201111", "18886201112", "%2B448886201111"])
def test_other_values_and_other_numbers_do_not_match(cast: Cast, specialist_client: Client, dnis: str) -> None:
    report = pop(specialist_client, f"reportVer=9991234&dnis={dnis}")
    assert "incoming_line" not in report.values


def test_a_rule_as_written_wins_and_codes_are_never_read_as_numbers(cast: Cast) -> None:
    revision, rules = form_setup(cast.form_a)
    # `112211` (a language code) is not a phone number: matched as written only.
    mapped = apply_mappings([("language", "0112211")], rules, revision.definition, cast.org_a.zone, "US")
    assert "language" not in mapped.values
    mapped = apply_mappings([("dnis", "8886201111")], rules, revision.definition, cast.org_a.zone, "US")
    assert [p.matched_number for p in mapped.placements] == ["", ""]


def test_the_url_tester_shows_that_the_rule_matched_as_a_number(cast: Cast) -> None:
    ada = Client()
    ada.force_login(cast.admin)
    url = "https://pbx.example.org/Telephony/GetCallReport?reportVer=9991234&dnis=%2B18886201111"
    content = ada.post(f"/configure/forms/{cast.form_a.public_id}/url/", {"url": url}).content.decode()
    assert "<td>Incoming line</td><td>Main line</td>" in content
    assert "matched the rule for <code>8886201111</code> as the same phone number" in content
