"""SPEC §2 callStart: the forms phone systems send, stored in UTC, shown in the organization's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.cast import Cast
from tests.test_telephony_url import URL, call_of, pop, report_at


@pytest.mark.parametrize(
    ("sent", "utc"),
    [
        ("2008-09-22T14:01:54Z", "2008-09-22T14:01:54"),
        ("2008-09-22T14:01:54z", "2008-09-22T14:01:54"),
        ("2008-09-22T14:01:54%2B02:00", "2008-09-22T12:01:54"),
        ("2008-09-22T14:01:54-0500", "2008-09-22T19:01:54"),
        # An unencoded `+` (the query string makes it a space) still reads as an offset.
        ("2008-09-22T14:01:54+02:00", "2008-09-22T12:01:54"),
        ("2008-09-22T14:01:54+0200", "2008-09-22T12:01:54"),
        ("2008-09-22T14:01:54.250Z", "2008-09-22T14:01:54.250000"),
        ("2008-09-22T14:01:54.123456789%2B00:00", "2008-09-22T14:01:54.123456"),
        # No zone: the organization's (New York), daylight saving in September, not in January.
        ("2008-09-22T14:01:54", "2008-09-22T18:01:54"),
        ("2008-01-22T14:01:54", "2008-01-22T19:01:54"),
        ("2008-09-22%2014:01:54", "2008-09-22T18:01:54"),
        ("2008-09-22+14:01:54", "2008-09-22T18:01:54"),
        ("1222092114", "2008-09-22T14:01:54"),
        ("1222092114000", "2008-09-22T14:01:54"),
        ("1222092114250", "2008-09-22T14:01:54.250000"),
    ],
)
def test_it_reads_the_call_start(cast: Cast, specialist_client: Client, sent: str, utc: str) -> None:
    report = pop(specialist_client, f"reportVer=9991234&callStart={sent}")
    assert report.call_start == datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert not [n for n in call_of(report).notices if "call start" in n.lower()]


def test_a_missing_call_start_is_now(cast: Cast, specialist_client: Client) -> None:
    report = pop(specialist_client, "reportVer=9991234")
    assert abs(report.call_start - timezone.now()) < timedelta(seconds=30)
    assert call_of(report).notices == []


UNREADABLE = [
    "yesterday",
    "2008-13-45T99:00:00",
    "12345",
    "2008-09-22T14:01:54%2B25:00",
    "%01",
    "2008-09-22T14:01:54%00x",
]


@pytest.mark.parametrize("sent", UNREADABLE)
def test_an_unreadable_call_start_is_now_with_a_notice(cast: Cast, specialist_client: Client, sent: str) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&callStart={sent}")
    report = report_at(response["Location"])
    assert abs(report.call_start - timezone.now()) < timedelta(seconds=30)
    assert any("could not be read" in n for n in call_of(report).notices)
    assert "could not be read; the current time is used" in specialist_client.get(response["Location"]).content.decode()


def test_the_editor_shows_the_call_start_in_the_organization_zone(cast: Cast, specialist_client: Client) -> None:
    response = specialist_client.get(f"{URL}?reportVer=9991234&callStart=2008-09-22T14:01:54Z")
    page = specialist_client.get(response["Location"]).content.decode()
    assert 'value="2008-09-22T10:01:54"' in page


def test_another_organization_reads_a_zoneless_time_in_its_own_zone(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.specialist_b)
    report = pop(client, "reportVer=5550001&callStart=2008-09-22T14:01:54")  # London, summer time
    assert report.call_start == datetime(2008, 9, 22, 13, 1, 54, tzinfo=UTC)
