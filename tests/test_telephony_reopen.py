"""SPEC §2 result: the same URL by the same user within 15 minutes reopens the same draft."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from calldesk.reports.models import CallReport, Status
from calldesk.telephony.models import Call
from tests.cast import Cast
from tests.test_telephony_agent import editor_fields

QUERY = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=9991234567&language=112211"


def test_the_same_url_twice_opens_the_same_draft(cast: Cast, specialist_client: Client) -> None:
    first = specialist_client.get(QUERY)
    second = specialist_client.get(QUERY)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert CallReport.objects.count() == 1


def test_a_different_url_opens_a_new_draft(cast: Cast, specialist_client: Client) -> None:
    assert specialist_client.get(QUERY)["Location"] != specialist_client.get(QUERY + "&dnis=1")["Location"]


def test_a_submitted_report_is_not_reopened(cast: Cast, specialist_client: Client) -> None:
    first = specialist_client.get(QUERY)["Location"]
    report = CallReport.objects.get()
    assert specialist_client.post(first + "submit", editor_fields(report)).status_code == 302
    assert CallReport.objects.get().status == Status.SUBMITTED
    assert specialist_client.get(QUERY)["Location"] != first
    assert CallReport.objects.filter(status=Status.DRAFT).count() == 1


def test_after_15_minutes_a_new_draft_is_made(cast: Cast, specialist_client: Client) -> None:
    first = specialist_client.get(QUERY)["Location"]
    Call.objects.update(received_at=timezone.now() - timedelta(minutes=16))
    assert specialist_client.get(QUERY)["Location"] != first


def test_within_15_minutes_the_draft_is_reopened(cast: Cast, specialist_client: Client) -> None:
    first = specialist_client.get(QUERY)["Location"]
    Call.objects.update(received_at=timezone.now() - timedelta(minutes=14))
    assert specialist_client.get(QUERY)["Location"] == first


def test_another_user_gets_another_draft(cast: Cast, specialist_client: Client) -> None:
    other = Client()
    other.force_login(cast.specialist2)
    assert specialist_client.get(QUERY)["Location"] != other.get(QUERY)["Location"]
    assert CallReport.objects.count() == 2


def test_a_post_of_the_same_parameters_reopens_the_draft_of_the_get(cast: Cast, specialist_client: Client) -> None:
    first = specialist_client.get(QUERY)["Location"]
    posted = specialist_client.post(
        "/Telephony/GetCallReport",
        {"reportVer": "9991234", "agent": "34", "ani": "9991234567", "language": "112211"},
    )
    assert posted.status_code == 303
    assert posted["Location"] == first
