"""`calldesk demo` (SPEC §5): the demo organization makes the three example URLs of SPEC §2 work as written."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm, FormRevision
from calldesk.reports.models import CallReport

DEMO_PASSWORD = "calldesk-demo"


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def logged_in(email: str) -> Client:
    """A browser logged in through the real login page with the printed demo password."""
    client = Client()
    response = client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def open_url(client: Client, url: str) -> tuple[CallReport, str]:
    response = client.get(url)
    assert response.status_code == 303, response.content[:500]
    match = re.fullmatch(r"/reports/([0-9a-f-]{36})/", response["Location"])
    assert match, response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    return CallReport.objects.get(public_id=match.group(1)), page.content.decode()


@pytest.mark.django_db
def test_demo_prints_the_logins_and_the_three_example_urls() -> None:
    output = run_demo()
    assert "created 1 organization, 4 users, 2 forms" in output
    for email in ("maria@acme.com", "bob@acme.com", "sue@acme.com", "ada@acme.com"):
        assert re.search(rf"{re.escape(email)}\s+{DEMO_PASSWORD}\s", output), email
    assert "http://127.0.0.1:8000/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567\n" in output
    assert (
        "http://127.0.0.1:8000/Telephony/GetCallReport?reportVer=1234567&agent=bob%40acme.com&ani=9991234567"
        "&dnis=8886201111\n" in output
    )
    assert (
        "http://127.0.0.1:8000/Telephony/GetCallReport?reportVer=1234567&language=112211"
        "&callStart=2008-09-22T14:01:54Z\n" in output
    )


@pytest.mark.django_db
def test_demo_twice_changes_nothing() -> None:
    run_demo()
    passwords = dict(User.objects.values_list("email", "password"))
    revisions = list(FormRevision.objects.values_list("pk", "created_at"))
    assert "Demo organization: nothing changed." in run_demo()
    assert dict(User.objects.values_list("email", "password")) == passwords
    assert list(FormRevision.objects.values_list("pk", "created_at")) == revisions
    assert (Organization.objects.count(), User.objects.count(), CallForm.objects.count()) == (1, 4, 2)


@pytest.mark.django_db
def test_demo_has_the_promised_organization_people_and_forms() -> None:
    run_demo()
    org = Organization.objects.get()
    assert (org.time_zone, org.phone_region) == ("America/New_York", "US")
    roles = dict(User.objects.values_list("email", "role"))
    assert roles == {
        "maria@acme.com": "specialist",
        "bob@acme.com": "specialist",
        "sue@acme.com": "supervisor",
        "ada@acme.com": "admin",
    }
    assert User.objects.filter(organization=org, agent_id="34", is_active=True).count() == 1
    for report_ver in ("9991234", "1234567"):
        definition = CallForm.objects.get(report_ver=report_ver).current_revision().definition
        assert any(f.required for f in definition.fields) and any(f.personal for f in definition.fields)
        assert {"hang_up", "silent", "wrong_number", "prank"} <= {c.key for c in definition.call_types}
        assert any(c.data for c in definition.call_types)


@pytest.mark.django_db
def test_the_first_example_url_fills_agent_34_and_the_phone() -> None:
    run_demo()
    client = logged_in("bob@acme.com")
    report, page = open_url(client, "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567")
    assert report.form.report_ver == "9991234"
    assert report.agent == User.objects.get(email="maria@acme.com")
    assert (report.phone_raw, report.phone_e164) == ("999-123-4567", "+19991234567")
    assert "Maria Lopez" in page and "999-123-4567" in page


@pytest.mark.django_db
def test_the_second_example_url_fills_bob_the_phone_and_the_incoming_line() -> None:
    run_demo()
    client = logged_in("maria@acme.com")
    report, page = open_url(
        client,
        "/Telephony/GetCallReport?reportVer=1234567&agent=bob%40acme.com&ani=9991234567&dnis=8886201111",
    )
    assert report.form.report_ver == "1234567"
    assert report.agent == User.objects.get(email="bob@acme.com")
    assert (report.phone_raw, report.phone_e164) == ("9991234567", "+19991234567")
    assert report.values == {"incoming_line": "Main line", "dialled_number": "8886201111"}
    assert "Bob Nguyen" in page and "Main line" in page and "8886201111" in page


@pytest.mark.django_db
def test_the_third_example_url_picks_spanish_by_its_code_and_reads_the_call_start() -> None:
    run_demo()
    client = logged_in("bob@acme.com")
    report, page = open_url(
        client, "/Telephony/GetCallReport?reportVer=1234567&language=112211&callStart=2008-09-22T14:01:54Z"
    )
    assert report.agent is None  # no agent sent: filled with the logged-in user when saved
    assert (report.phone_raw, report.phone_e164) == ("", "")
    assert report.values == {"language": "Spanish"}
    assert report.call_start == datetime(2008, 9, 22, 14, 1, 54, tzinfo=UTC)
    assert "Spanish" in page
    assert report.call is not None and report.call.notices == []


@pytest.mark.django_db
def test_demo_says_whose_agent_ids_the_urls_use_and_who_needs_an_authenticator_app() -> None:
    output = run_demo()
    assert re.search(r"maria@acme\.com\s+calldesk-demo\s+specialist\s+agent 34\n", output)
    assert re.search(r"bob@acme\.com\s+calldesk-demo\s+specialist\s+agent 35\n", output)
    assert re.search(r"sue@acme\.com\s+calldesk-demo\s+supervisor\s+no agent ID\n", output)
    needs = re.search(r"^(.*) sign in with an authenticator app too", output, re.MULTILINE)
    assert needs is not None and needs.group(1) == "sue@acme.com, ada@acme.com"
