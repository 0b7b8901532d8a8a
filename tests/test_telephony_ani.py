"""SPEC §2 ani: the caller ID as sent and as E.164; withheld or junk numbers leave Phone empty."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.cast import Cast
from tests.test_telephony_url import URL, call_of, pop, report_at


@pytest.mark.parametrize(
    ("sent", "raw", "e164"),
    [
        ("999-123-4567", "999-123-4567", "+19991234567"),
        ("9991234567", "9991234567", "+19991234567"),
        ("19991234567", "19991234567", "+19991234567"),
        ("%2B1%20(999)%20123-4567", "+1 (999) 123-4567", "+19991234567"),
        ("%2B442079460958", "+442079460958", "+442079460958"),
        ("011442079460958", "011442079460958", "+442079460958"),
        ("%2B33%201%2023%2045%2067%2089", "+33 1 23 45 67 89", "+33123456789"),
    ],
)
def test_it_keeps_the_number_as_sent_and_as_e164(
    cast: Cast, specialist_client: Client, sent: str, raw: str, e164: str
) -> None:
    report = pop(specialist_client, f"reportVer=9991234&ani={sent}")
    assert (report.phone_raw, report.phone_e164) == (raw, e164)
    assert call_of(report).notices == []


@pytest.mark.parametrize(
    ("sent", "e164"),
    [("+442079460958", "+442079460958"), ("+19991234567", "+19991234567"), ("+1+999+123+4567", "+19991234567")],
)
def test_an_unencoded_plus_still_reads_as_international(
    cast: Cast, specialist_client: Client, sent: str, e164: str
) -> None:
    # Many phone systems put `+` into the URL as is; the query string makes it a space.
    assert pop(specialist_client, f"reportVer=9991234&ani={sent}").phone_e164 == e164


def test_the_default_region_is_the_organization_s(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.specialist_b)
    report = pop(client, "reportVer=5550001&ani=020%207946%200958")
    assert report.phone_e164 == "+442079460958"


@pytest.mark.parametrize(
    ("sent", "says"),
    [
        ("anonymous", "withheld"),
        ("Restricted", "withheld"),
        ("UNKNOWN", "withheld"),
        ("0000000000", "withheld"),
        ("abcdefg", "could not be read"),
        ("999-CALL-NOW", "could not be read"),
        ("123", "could not be read"),
    ],
)
def test_a_withheld_or_junk_number_leaves_phone_empty_with_a_notice(
    cast: Cast, specialist_client: Client, sent: str, says: str
) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&ani={sent}")
    report = report_at(response["Location"])
    assert (report.phone_raw, report.phone_e164) == ("", "")
    assert any(says in n for n in call_of(report).notices)
    page = specialist_client.get(response["Location"]).content.decode()
    assert says in page
    assert 'name="phone" value' not in page


def test_a_missing_number_leaves_phone_empty_without_a_notice(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234&ani=")
    assert (report.phone_raw, report.phone_e164, call_of(report).notices) == ("", "", [])


def test_the_editor_shows_the_number_as_sent_and_normalised(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&ani=999-123-4567")
    page = specialist_client.get(response["Location"]).content.decode()
    assert 'value="999-123-4567"' in page
    assert "+19991234567" in page
