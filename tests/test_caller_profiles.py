"""Caller profiles through the pages: found by number (never in an address), written by
supervisors and admins, read by specialists, shown first on a pop, audited, escaped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from calldesk.audit.models import AccessEvent
from calldesk.callers import services
from calldesk.callers.models import CallerNumber, CallerProfile
from calldesk.lib.crypto import phone_hash
from calldesk.push import events
from calldesk.push.events import Viewer
from calldesk.push.models import PushEvent
from calldesk.telephony.lifecycle import record_call
from tests.cast import Cast
from tests.reporting import open_draft

POP = "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=999-123-4567"


def make_profile(client: Client, number: str = "(999) 123-4567") -> str:
    """A supervisor makes a profile through the lookup page; its address."""
    answer = client.post("/callers/", {"number": number, "create": "1"})
    assert answer.status_code == 302, answer.content
    assert re.fullmatch(r"/callers/[0-9a-f-]{36}/", answer["Location"])
    return str(answer["Location"])


def end_last_alert(profile: CallerProfile) -> None:
    """As if its expiry had passed (an expiry in the past cannot be set)."""
    profile.refresh_from_db()
    profile.alerts[-1]["expires"] = (timezone.now() - timedelta(seconds=1)).isoformat()
    profile.save(update_fields=["alerts"])


def test_a_supervisor_finds_a_profile_by_number_in_any_form(cast: Cast, supervisor_client: Client) -> None:
    url = make_profile(supervisor_client)
    found = supervisor_client.post("/callers/", {"number": "+1 999 123 4567"})
    assert found.status_code == 302 and found["Location"] == url
    # Nothing in clear: the number is sealed, found by its keyed hash.
    number = CallerNumber.objects.get()
    assert number.number_hash == phone_hash("+19991234567")
    missing = supervisor_client.post("/callers/", {"number": "212-555-0100"})
    assert missing.status_code == 200
    assert "No profile for +1 212-555-0100" in missing.content.decode()
    assert CallerProfile.objects.count() == 1


def test_the_lookup_refuses_what_is_not_a_number(cast: Cast, supervisor_client: Client) -> None:
    answer = supervisor_client.post("/callers/", {"number": "anonymous"})
    assert answer.status_code == 400
    assert "withheld" in answer.content.decode()
    assert supervisor_client.post("/callers/", {"number": ""}).status_code == 400
    assert CallerProfile.objects.count() == 0


def test_specialists_read_but_never_write_or_look_up(
    cast: Cast, supervisor_client: Client, specialist_client: Client
) -> None:
    url = make_profile(supervisor_client)
    supervisor_client.post(url + "edit", {"preferred_name": "Jo", "instructions": "Speak slowly."})
    assert specialist_client.get("/callers/").status_code == 404
    assert specialist_client.post("/callers/", {"number": "9991234567", "create": "1"}).status_code == 404
    page = specialist_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Jo" in html and "Speak slowly." in html
    assert 'id="alert-form"' not in html and 'id="block-form"' not in html
    assert specialist_client.post(url + "edit", {"preferred_name": "X"}).status_code == 404
    assert specialist_client.post(url + "alerts", {"text": "x"}).status_code == 404
    assert specialist_client.post(url + "block", {"duration": "permanent"}).status_code == 404
    assert specialist_client.post(url + "numbers", {"number": "2125550100"}).status_code == 404
    assert specialist_client.post(url + "delete").status_code == 404
    profile = CallerProfile.objects.get()
    assert profile.preferred_name == "Jo" and not profile.alerts and not profile.blocked_until(timezone.now())[0]


def test_an_admin_writes_too_and_outsiders_get_404(cast: Cast, supervisor_client: Client) -> None:
    url = make_profile(supervisor_client)
    admin = Client()
    admin.force_login(cast.admin)
    assert admin.post(url + "alerts", {"text": "Safety plan on file"}).status_code == 302
    other = Client()
    other.force_login(cast.specialist_b)
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
    assert supervisor_client.get("/callers/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_alerts_expire_and_their_limits_hold(cast: Cast, supervisor_client: Client) -> None:
    url = make_profile(supervisor_client)
    assert supervisor_client.post(url + "alerts", {"text": "Call-time limit 10 min"}).status_code == 302
    assert supervisor_client.post(url + "alerts", {"text": "Old", "expires_at": "2020-01-01T10:00"}).status_code == 400
    assert supervisor_client.post(url + "alerts", {"text": ""}).status_code == 400
    assert supervisor_client.post(url + "alerts", {"text": "x" * 501}).status_code == 400
    assert supervisor_client.post(url + "alerts", {"text": "Far", "expires_at": "2099-01-01T10:00"}).status_code == 400
    assert supervisor_client.post(url + "alerts", {"text": "Soon", "expires_at": "2030-01-01T10:00"}).status_code == 302
    alerts = CallerProfile.objects.get().alert_list()
    assert [a.text for a in alerts] == ["Call-time limit 10 min", "Soon"]
    # In the organization's zone (America/New_York): 10:00 there is 15:00 UTC in winter.
    assert alerts[1].expires_at is not None and alerts[1].expires_at.hour == 15
    removed = supervisor_client.post(f"{url}alerts/{alerts[0].public_id}/remove")
    assert removed.status_code == 302
    assert [alert.text for alert in CallerProfile.objects.get().alert_list()] == ["Soon"]
    gone = supervisor_client.post(f"{url}alerts/{alerts[0].public_id}/remove")
    assert gone.status_code == 404


def test_a_number_belongs_to_one_profile_and_links_are_kept(cast: Cast, supervisor_client: Client) -> None:
    first = make_profile(supervisor_client)
    second = make_profile(supervisor_client, "212-555-0100")
    taken = supervisor_client.post(first + "numbers", {"number": "+12125550100"})
    assert taken.status_code == 400 and "another caller" in taken.content.decode()
    assert supervisor_client.post(first + "numbers", {"number": "646-555-0199"}).status_code == 302
    # The linked number finds the same profile.
    assert supervisor_client.post("/callers/", {"number": "6465550199"})["Location"] == first
    numbers = list(CallerNumber.objects.filter(profile__public_id=first.split("/")[2]))
    assert len(numbers) == 2
    assert supervisor_client.post(f"{first}numbers/{numbers[1].public_id}/remove").status_code == 302
    last = supervisor_client.post(
        f"{second}numbers/{CallerNumber.objects.get(number_hash=phone_hash('+12125550100')).public_id}/remove"
    )
    assert last.status_code == 400 and "at least one number" in last.content.decode()


def test_profile_text_is_escaped_everywhere(cast: Cast, supervisor_client: Client, specialist_client: Client) -> None:
    url = make_profile(supervisor_client)
    evil = "<script>alert(1)</script>"
    supervisor_client.post(url + "edit", {"preferred_name": evil, "instructions": evil})
    supervisor_client.post(url + "alerts", {"text": evil})
    report = open_draft(specialist_client, POP)
    for page in (supervisor_client.get(url), specialist_client.get(f"/reports/{report.public_id}/")):
        html = page.content.decode()
        assert evil not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_pop_shows_block_and_alerts_first_and_the_profile_beside_earlier_calls(
    cast: Cast, supervisor_client: Client, specialist_client: Client
) -> None:
    url = make_profile(supervisor_client)
    supervisor_client.post(url + "edit", {"preferred_name": "Jo", "instructions": "Speak slowly."})
    supervisor_client.post(url + "alerts", {"text": "Safety plan on file"})
    supervisor_client.post(url + "alerts", {"text": "Expired one"})
    end_last_alert(CallerProfile.objects.get())
    supervisor_client.post(url + "block", {"duration": "24"})
    report = open_draft(specialist_client, POP)
    html = specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    blocked = html.index('id="caller-blocked"')
    alerts = html.index('id="caller-alerts"')
    assert blocked < alerts < html.index('id="report-form"') < html.index('id="earlier-calls"')
    assert "Blocked number" in html and "until" in html[blocked : blocked + 200]
    assert "Safety plan on file" in html and "Expired one" not in html
    assert "Speak slowly." in html and url in html
    # A number without a profile shows no alert, and says there is no profile.
    other = open_draft(specialist_client, "/Telephony/GetCallReport?reportVer=9991234&agent=34&ani=2125550100")
    plain = specialist_client.get(f"/reports/{other.public_id}/").content.decode()
    assert 'id="caller-alerts"' not in plain and 'id="caller-blocked"' not in plain
    assert "No profile for this number." in plain


def test_a_lifted_or_expired_block_no_longer_shows(
    cast: Cast, supervisor_client: Client, specialist_client: Client
) -> None:
    url = make_profile(supervisor_client)
    supervisor_client.post(url + "block", {"duration": "permanent"})
    report = open_draft(specialist_client, POP)
    assert "permanently" in specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    supervisor_client.post(url + "block", {"duration": "lift"})
    assert 'id="caller-blocked"' not in specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    profile = CallerProfile.objects.get()
    profile.block = {"on": True, "until": (timezone.now() - timedelta(seconds=1)).isoformat()}
    profile.save()
    assert 'id="caller-blocked"' not in specialist_client.get(f"/reports/{report.public_id}/").content.decode()
    assert supervisor_client.post(url + "block", {"duration": "5"}).status_code == 400


def test_opening_the_profile_from_a_report(cast: Cast, supervisor_client: Client, specialist_client: Client) -> None:
    report = open_draft(specialist_client, POP)
    none = specialist_client.get(f"/callers/report/{report.public_id}/")
    assert none.status_code == 200 and "Supervisors make caller profiles" in none.content.decode()
    assert specialist_client.post(f"/callers/report/{report.public_id}/").status_code == 404
    made = supervisor_client.post(f"/callers/report/{report.public_id}/")
    assert made.status_code == 302
    assert specialist_client.get(f"/callers/report/{report.public_id}/")["Location"] == made["Location"]
    other = Client()
    other.force_login(cast.specialist2)  # may not open that report, so not its caller either
    assert other.get(f"/callers/report/{report.public_id}/").status_code == 404


def test_every_view_of_a_profile_is_in_the_access_log(
    cast: Cast, supervisor_client: Client, specialist_client: Client
) -> None:
    url = make_profile(supervisor_client)
    specialist_client.get(url)
    public_id = url.split("/")[2]
    views = AccessEvent.objects.filter(action="caller.view")
    assert [(e.user_id, e.details["caller"]) for e in views] == [(cast.specialist.pk, public_id)]
    searches = AccessEvent.objects.filter(action="phone.search")
    assert searches.count() == 1 and searches.get().phone_digest == phone_hash("+19991234567")


@pytest.mark.parametrize("path", ["/callers/", "/callers/report/00000000-0000-0000-0000-000000000000/"])
def test_the_pages_never_take_a_number_in_the_address(cast: Cast, supervisor_client: Client, path: str) -> None:
    answer = supervisor_client.get(path, {"number": "9991234567"})
    assert answer.status_code in (200, 404)
    assert CallerProfile.objects.count() == 0


def test_the_consoles_pushed_call_carries_the_block_and_active_alerts_first(cast: Cast) -> None:
    profile, _ = services.create_profile(cast.supervisor, "+19995550100")
    services.add_alert(cast.supervisor, profile, "Safety plan on file")
    services.add_alert(cast.supervisor, profile, "Ended", timezone.now() + timedelta(minutes=1))
    end_last_alert(profile)
    services.block_caller(cast.supervisor, profile, 2)
    record_call(cast.org_a, [("reportVer", "9991234"), ("ani", "999-555-0100"), ("agent", "34")])
    record_call(cast.org_a, [("reportVer", "9991234"), ("ani", "212-555-0100"), ("agent", "34")])
    flagged, plain = events.catch_up(Viewer.of(cast.specialist), 0)
    assert flagged.data["callerAlerts"] == ["Safety plan on file"]
    assert flagged.data["callerBlocked"] is True and flagged.data["callerBlockedUntil"]
    assert "callerAlerts" not in plain.data
    # The event stored for catch-up holds none of it: it is read when sent.
    assert "Safety plan" not in str(PushEvent.objects.values())


def test_the_pops_prepared_query_answers_as_its_queryset(cast: Cast) -> None:
    profile, _ = services.create_profile(cast.supervisor, "+19995550100")
    services.add_alert(cast.supervisor, profile, "Safety plan on file")
    for org, number in ((cast.org_a.pk, "+19995550100"), (cast.org_b.pk, "+19995550100"), (cast.org_a.pk, "+1")):
        found = services.profile_by_hash(org, phone_hash(number))
        expected = CallerNumber.objects.filter(organization_id=org, number_hash=phone_hash(number)).first()
        assert (found.pk if found else None) == (expected.profile_id if expected else None)
    view = services.pop_view(cast.org_a.pk, phone_hash("+19995550100"))
    assert view.profile is not None and [a.text for a in view.alerts] == ["Safety plan on file"]
