"""SPEC §2 other parameters: the form's mappings place them; unmapped ones are kept on the call."""

from __future__ import annotations

from django.test import Client

from calldesk.callforms.models import Mapping
from tests.cast import Cast
from tests.test_telephony_url import URL, call_of, pop, report_at


def test_a_code_selects_its_choice(cast: Cast, specialist_client: Client) -> None:
    assert pop(specialist_client, "reportVer=9991234&language=112211").values["language"] == "Spanish"


def test_a_label_selects_its_choice_in_any_case(cast: Cast, specialist_client: Client) -> None:
    assert pop(specialist_client, "reportVer=9991234&language=sPANISH").values["language"] == "Spanish"


def test_a_value_rule_puts_its_value_and_the_any_value_rule_copies_the_raw_value(
    cast: Cast, specialist_client: Client
) -> None:
    report = pop(specialist_client, "reportVer=9991234&dnis=8886202222")
    assert report.values == {"incoming_line": "Youth line", "dialled_number": "8886202222"}
    assert call_of(report).unmapped == []


def test_a_value_specific_rule_beats_the_any_value_rule_for_the_same_field(
    cast: Cast, specialist_client: Client
) -> None:
    rule = {"form": cast.form_a, "parameter": "queue", "field_key": "incoming_line"}
    Mapping.objects.create(**rule, value="", field_value="Main line")
    Mapping.objects.create(**rule, value="youth", field_value="Youth line", position=9)
    assert pop(specialist_client, "reportVer=9991234&queue=youth").values["incoming_line"] == "Youth line"
    assert pop(specialist_client, "reportVer=9991234&queue=other").values["incoming_line"] == "Main line"


def test_an_unknown_code_leaves_the_field_empty_and_is_noted(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&language=999999&dnis=8886201111")
    report = report_at(response["Location"])
    assert "language" not in report.values
    assert report.values["incoming_line"] == "Main line"
    assert any("999999" in n and "Language" in n for n in call_of(report).notices)
    assert "999999" in specialist_client.get(response["Location"]).content.decode()


def test_unmapped_parameters_are_kept_on_the_call_and_change_nothing(cast: Cast, specialist_client: Client) -> None:
    plain = pop(specialist_client, "reportVer=9991234&language=112211")
    report = pop(specialist_client, "reportVer=9991234&language=112211&Queue=7&summary=typed&risk=yes")
    assert report.values == plain.values == {"language": "Spanish"}
    assert call_of(report).unmapped == [["queue", "7"], ["summary", "typed"], ["risk", "yes"]]
    assert call_of(report).notices == []


def test_the_call_keeps_every_parameter_as_sent(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&ANI=9991234567&language=112211")
    assert call_of(report).params == [["reportVer", "9991234"], ["ANI", "9991234567"], ["language", "112211"]]
