"""Organization settings, API tokens and the audit page."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from calldesk.configure.models import ApiToken, AuditEntry
from calldesk.configure.tokens import authenticate_token
from tests.cast import Cast

SETTINGS = {
    "name": "Lifeline",
    "time_zone": "America/Chicago",
    "phone_region": "CA",
    "idle_timeout_minutes": "15",
    "retention_days": "365",
}


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def test_an_admin_changes_the_organization_settings(cast: Cast, ada: Client) -> None:
    assert ada.post("/configure/settings/", SETTINGS).status_code == 302
    cast.org_a.refresh_from_db()
    assert (cast.org_a.time_zone, cast.org_a.phone_region) == ("America/Chicago", "CA")
    assert (cast.org_a.idle_timeout_minutes, cast.org_a.retention_days) == (15, 365)
    entry = AuditEntry.objects.get(action="organization.settings")
    assert entry.details["time_zone"] == ["America/New_York", "America/Chicago"]
    assert ada.post("/configure/settings/", {**SETTINGS, "retention_days": ""}).status_code == 302
    cast.org_a.refresh_from_db()
    assert cast.org_a.retention_days is None


def test_the_time_zone_shows_in_telephony_readings(cast: Cast, ada: Client) -> None:
    ada.post("/configure/settings/", SETTINGS)
    url = "/Telephony/GetCallReport?reportVer=9991234&callStart=2008-09-22T14:01:54"
    content = ada.post(f"/configure/forms/{cast.form_a.public_id}/url/", {"url": url}).content.decode()
    assert "2008-09-22 14:01:54 CDT" in content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"time_zone": "../../etc/passwd"}, "Select a valid choice"),
        ({"phone_region": "XX"}, "Select a valid choice"),
        ({"idle_timeout_minutes": "0"}, "greater than or equal to 1"),
        ({"idle_timeout_minutes": "abc"}, "Enter a whole number"),
        ({"retention_days": "-5"}, "greater than or equal to 1"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_settings_are_refused(cast: Cast, ada: Client, change: dict[str, str], message: str) -> None:
    response = ada.post("/configure/settings/", {**SETTINGS, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    cast.org_a.refresh_from_db()
    assert cast.org_a.time_zone == "America/New_York"


def test_a_token_is_shown_once_stored_hashed_and_authenticates_until_revoked(cast: Cast, ada: Client) -> None:
    response = ada.post("/configure/tokens/", {"name": "Asterisk"})
    raw = response.context["raw"]
    assert raw.startswith("cdk_") and raw in response.content.decode()
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(ApiToken.objects.values()))
    listing = ada.get("/configure/tokens/").content.decode()
    assert raw not in listing and token.prefix in listing

    found = authenticate_token(raw)
    assert found is not None and found.organization == cast.org_a and found.last_used_at is not None
    assert authenticate_token(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert authenticate_token("") is None and authenticate_token("cdk_") is None

    assert ada.post(f"/configure/tokens/{token.public_id}/revoke").status_code == 302
    assert authenticate_token(raw) is None
    assert "Revoked" in ada.get("/configure/tokens/").content.decode()
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "token.create" in actions and "token.revoke" in actions
    assert raw not in str(list(AuditEntry.objects.values()))


def test_a_token_needs_a_name(cast: Cast, ada: Client) -> None:
    response = ada.post("/configure/tokens/", {"name": " "})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_the_audit_page_shows_who_did_what_in_this_organization_only(cast: Cast, ada: Client) -> None:
    ada.post("/configure/settings/", SETTINGS)
    ada.post("/configure/tokens/", {"name": "Asterisk"})
    AuditEntry.objects.create(organization=cast.org_b, action="user.create", target="secret@other.example")
    content = ada.get("/configure/audit/").content.decode()
    assert "organization.settings" in content and "token.create" in content
    assert "Ada Admin" in content
    assert "America/New_York → America/Chicago" in content
    assert "secret@other.example" not in content
    assert ada.get("/configure/audit/?page=999").status_code == 200
    assert ada.get("/configure/audit/?page=x").status_code == 200
