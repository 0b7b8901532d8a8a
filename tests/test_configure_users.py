"""Users on the admin pages: create, edit, deactivate (logged out at once), shared agent IDs."""

from __future__ import annotations

import pytest
from django.test import Client

from calldesk.accounts.models import Role, User
from calldesk.configure.models import AuditEntry
from calldesk.reports.models import CallReport
from tests.cast import PASSWORD, Cast


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


NEW_USER = {
    "email": "New.Person@Lifeline.example",
    "name": "New Person",
    "role": "specialist",
    "agent_id": "77",
    "password": "a-long-enough-passphrase",
}


def test_an_admin_creates_a_user_who_can_log_in_and_take_calls(cast: Cast, ada: Client) -> None:
    assert ada.post("/configure/users/new/", NEW_USER).status_code == 302
    member = User.objects.get(email="new.person@lifeline.example")
    assert (member.organization, member.role, member.agent_id, member.name) == (
        cast.org_a,
        Role.SPECIALIST,
        "77",
        "New Person",
    )
    client = Client()
    login = client.post(
        "/accounts/login/", {"username": "new.person@lifeline.example", "password": NEW_USER["password"]}
    )
    assert login.status_code == 302
    client.get("/Telephony/GetCallReport?reportVer=9991234&agent=77")
    assert CallReport.objects.get().agent == member
    entry = AuditEntry.objects.get(action="user.create")
    assert entry.user == cast.admin and entry.target == "new.person@lifeline.example"
    assert "password" not in entry.details


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "SAM@lifeline.example"}, "A user with this email exists already."),
        ({"email": "bea@other.example"}, "A user with this email exists already."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password": "short"}, "This password is too short"),
        ({"role": "owner"}, "Select a valid choice"),
        # A valid address longer than the email column: refused here, not a database error (500).
        ({"email": "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "org"}, "at most 254 characters"),
    ],
)
def test_a_bad_new_user_is_refused(cast: Cast, ada: Client, change: dict[str, str], message: str) -> None:
    count = User.objects.count()
    response = ada.post("/configure/users/new/", {**NEW_USER, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == count


def test_an_admin_changes_role_agent_id_name_and_password(cast: Cast, ada: Client) -> None:
    url = f"/configure/users/{cast.specialist.public_id}/"
    data = {"name": "Sam S.", "role": "supervisor", "agent_id": "3400", "new_password": "another-long-passphrase"}
    assert ada.post(url, data).status_code == 302
    cast.specialist.refresh_from_db()
    assert (cast.specialist.name, cast.specialist.role, cast.specialist.agent_id) == ("Sam S.", "supervisor", "3400")
    assert cast.specialist.check_password("another-long-passphrase")
    entry = AuditEntry.objects.get(action="user.update")
    assert entry.details["role"] == ["specialist", "supervisor"]
    assert entry.details["password"] == "changed"


def test_an_admin_cannot_demote_or_deactivate_themselves(cast: Cast, ada: Client) -> None:
    response = ada.post(
        f"/configure/users/{cast.admin.public_id}/", {"name": "Ada", "role": "specialist", "agent_id": ""}
    )
    assert response.status_code == 400
    assert b"You cannot take away your own admin role" in response.content
    ada.post(f"/configure/users/{cast.admin.public_id}/active", {"active": "0"})
    cast.admin.refresh_from_db()
    assert cast.admin.is_active and cast.admin.role == Role.ADMIN


def test_deactivation_logs_the_user_out_at_once_and_keeps_them_out(cast: Cast, ada: Client) -> None:
    sam = Client()
    assert sam.post("/accounts/login/", {"username": cast.specialist.email, "password": PASSWORD}).status_code == 302
    assert sam.get("/reports/").status_code == 200
    assert (
        ada.post(f"/configure/users/{cast.specialist.public_id}/active", {"active": "0", "confirmed": "1"}).status_code
        == 302
    )
    after = sam.get("/reports/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")
    assert sam.post("/accounts/login/", {"username": cast.specialist.email, "password": PASSWORD}).status_code == 200
    assert b"Deactivated" in ada.get("/configure/users/").content

    ada.post(f"/configure/users/{cast.specialist.public_id}/active", {"active": "1"})
    assert sam.post("/accounts/login/", {"username": cast.specialist.email, "password": PASSWORD}).status_code == 302
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "user.deactivate" in actions and "user.reactivate" in actions


def test_a_shared_agent_id_is_pointed_out(cast: Cast, ada: Client) -> None:
    assert b"shared by several active users" not in ada.get("/configure/users/").content
    ada.post(f"/configure/users/{cast.specialist2.public_id}/", {"name": "Kim", "role": "specialist", "agent_id": "34"})
    listing = ada.get("/configure/users/").content.decode()
    assert "shared by several active users" in listing
    assert "<code>34</code>: Kim, Sam Specialist" in listing
    page = ada.get(f"/configure/users/{cast.specialist.public_id}/").content.decode()
    assert "is also held by Kim" in page
    # Agent 34 of the other organization does not count.
    assert "Bea" not in listing
