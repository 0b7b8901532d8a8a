"""Login: the telephony round trip, hostile `next` values, throttling, idle timeout, cookies."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client

from calldesk.accounts.middleware import LAST_ACTIVITY
from calldesk.reports.models import CallReport
from tests.cast import PASSWORD, Cast
from tests.test_telephony_url import report_at

CALL = "/Telephony/GetCallReport?reportVer=9991234&agent=35&ani=999-123-4567&language=112211&dnis=8886201111"


def log_in(client: Client, email: str, password: str = PASSWORD, next_url: str = "") -> Any:
    return client.post("/accounts/login/", {"username": email, "password": password, "next": next_url})


def test_an_anonymous_call_goes_through_login_to_the_prefilled_draft(cast: Cast) -> None:
    client = Client()
    response = client.get(CALL)
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith("/accounts/login/?next=")
    assert "999" not in login_url and "1234567" not in login_url and "agent" not in login_url
    page = client.get(login_url)
    assert page.status_code == 200
    assert "A call is waiting" in page.content.decode()
    assert "123-4567" not in page.content.decode()
    assert not CallReport.objects.exists()

    next_url = page.context["next"]
    logged_in = log_in(client, "kim@lifeline.example", next_url=next_url)
    assert logged_in.status_code == 302
    resumed = client.get(logged_in["Location"])
    assert resumed.status_code == 303
    report = report_at(resumed["Location"])
    assert report.agent == cast.specialist2
    assert report.author == cast.specialist2
    assert report.phone_e164 == "+19991234567"
    assert report.values == {"language": "Spanish", "incoming_line": "Main line", "dialled_number": "8886201111"}
    assert client.get(resumed["Location"]).status_code == 200


def test_the_waiting_call_opens_once_and_then_points_to_unfinished_calls(cast: Cast) -> None:
    client = Client()
    login_url = client.get(CALL)["Location"]
    next_url = client.get(login_url).context["next"]
    log_in(client, "kim@lifeline.example", next_url=next_url)
    assert client.get(next_url).status_code == 303
    again = client.get(next_url)
    assert again.status_code == 404
    assert "/reports/unfinished/" in again.content.decode()


def test_a_posted_call_also_waits_through_login(cast: Cast) -> None:
    client = Client()
    response = client.post("/Telephony/GetCallReport", {"reportVer": "9991234", "ani": "9991234567"})
    assert response.status_code == 302
    next_url = client.get(response["Location"]).context["next"]
    resumed = client.get(log_in(client, "sam@lifeline.example", next_url=next_url)["Location"])
    assert report_at(resumed["Location"]).phone_e164 == "+19991234567"


def test_a_waiting_call_of_another_organization_s_form_is_a_404_after_login(cast: Cast) -> None:
    client = Client()
    login_url = client.get("/Telephony/GetCallReport?reportVer=9991234&ani=9991234567")["Location"]
    next_url = client.get(login_url).context["next"]
    assert client.get(log_in(client, "bea@other.example", next_url=next_url)["Location"]).status_code == 404
    assert not CallReport.objects.exists()


HOSTILE = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "/%2F%2Fevil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "///evil.example",
    "\\\\evil.example",
]


def assert_stays_on_site(location: str) -> None:
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith("//"), location
    assert "\\" not in location and "\t" not in location, location


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_next_in_the_form_stays_on_this_site(cast: Cast, hostile: str) -> None:
    response = log_in(Client(), "sam@lifeline.example", next_url=hostile)
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_next_in_the_query_stays_on_this_site(cast: Cast, hostile: str) -> None:
    client = Client()
    page = client.get("/accounts/login/?next=" + quote(hostile, safe=""))
    assert page.status_code == 200
    response = client.post(
        "/accounts/login/?next=" + quote(hostile, safe=""),
        {"username": "sam@lifeline.example", "password": PASSWORD, "next": page.context["next"]},
    )
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])


def test_a_path_on_this_site_is_followed(cast: Cast) -> None:
    response = log_in(Client(), "sam@lifeline.example", next_url="/reports/unfinished/?page=2")
    assert response["Location"] == "/reports/unfinished/?page=2"


def test_five_wrong_passwords_lock_the_email(cast: Cast) -> None:
    client = Client()
    for _ in range(5):
        log_in(client, "sam@lifeline.example", password="wrong-password-1")
    locked = log_in(client, "sam@lifeline.example")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/reports/unfinished/").status_code == 302


def test_four_wrong_passwords_still_let_the_right_one_in(cast: Cast) -> None:
    client = Client()
    for _ in range(4):
        assert log_in(client, "sam@lifeline.example", password="wrong-password-1").status_code == 200
    assert log_in(client, "sam@lifeline.example").status_code == 302


def test_the_lock_is_per_email(cast: Cast) -> None:
    client = Client()
    for _ in range(5):
        log_in(client, "sam@lifeline.example", password="wrong-password-1")
    assert log_in(client, "kim@lifeline.example").status_code == 302


def test_the_email_is_matched_in_any_case(cast: Cast) -> None:
    assert log_in(Client(), "SAM@Lifeline.example").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site_lax(cast: Cast) -> None:
    response = log_in(Client(), "sam@lifeline.example")
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def idle(client: Client, seconds: float) -> None:
    session = client.session
    session[LAST_ACTIVITY] = time.time() - seconds
    session.save()


def test_a_session_idle_past_the_timeout_is_logged_out(cast: Cast, specialist_client: Client) -> None:
    assert specialist_client.get("/reports/unfinished/").status_code == 200
    idle(specialist_client, 31 * 60)
    response = specialist_client.get("/reports/unfinished/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in specialist_client.session


def test_a_session_used_within_the_timeout_stays(cast: Cast, specialist_client: Client) -> None:
    idle(specialist_client, 29 * 60)
    assert specialist_client.get("/reports/unfinished/").status_code == 200
    assert time.time() - specialist_client.session[LAST_ACTIVITY] < 5


def test_the_timeout_is_the_organization_s(cast: Cast, specialist_client: Client) -> None:
    cast.org_a.idle_timeout_minutes = 5
    cast.org_a.save(update_fields=["idle_timeout_minutes"])
    idle(specialist_client, 6 * 60)
    assert specialist_client.get("/reports/unfinished/").status_code == 302


def test_background_requests_do_not_extend_the_session(cast: Cast, specialist_client: Client) -> None:
    idle(specialist_client, 25 * 60)
    before = specialist_client.session[LAST_ACTIVITY]
    background = specialist_client.get("/reports/unfinished/", headers={"X-Calldesk-Background": "1"})
    assert background.status_code == 200
    assert specialist_client.session[LAST_ACTIVITY] == before
    idle(specialist_client, 31 * 60)
    assert specialist_client.get("/reports/unfinished/", headers={"X-Calldesk-Background": "1"}).status_code == 302


def test_an_idle_telephony_call_waits_through_login(cast: Cast, specialist_client: Client) -> None:
    specialist_client.get("/reports/unfinished/")
    idle(specialist_client, 31 * 60)
    response = specialist_client.get(CALL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_lock_holds_whatever_the_case_of_the_email(cast: Cast) -> None:
    client = Client()
    for spelling in ["Sam@lifeline.example", "SAM@LIFELINE.EXAMPLE", "sam@Lifeline.Example", "sAm@lifeline.example"]:
        log_in(client, spelling, password="wrong-password-1")
    log_in(client, " sam@lifeline.example ", password="wrong-password-1")
    assert log_in(client, "sam@lifeline.example").status_code == 429


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_logged_in_visit_to_login_with_a_hostile_next_stays_on_this_site(
    cast: Cast, specialist_client: Client, hostile: str
) -> None:
    response = specialist_client.get("/accounts/login/?next=" + quote(hostile, safe=""))
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])


def test_a_next_value_is_escaped_on_the_login_page(cast: Cast) -> None:
    page = Client().get("/accounts/login/?next=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    html = page.content.decode()
    assert "<script>alert" not in html
    # Kept (it is a path on this site) and shown as text, not markup.
    assert 'value="/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
