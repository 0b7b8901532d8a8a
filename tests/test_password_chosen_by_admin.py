"""A password an admin chose (a new user, or a new password set on the users page) is changed by
its user at their next login, before any page; a call on its way is never held up."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from calldesk.accounts.models import User
from calldesk.reports.models import CallReport
from tests.cast import Cast

CHOSEN = "a-long-enough-passphrase"
OWN = "only-i-know-this-one-77"
NEW_USER = {"email": "new@lifeline.example", "name": "New", "role": "specialist", "agent_id": "77", "password": CHOSEN}
CALL = "/Telephony/GetCallReport?reportVer=9991234&agent=77&ani=999-123-4567"


def admin(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def logged_in(email: str, password: str) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": email, "password": password}).status_code == 302
    return client


def test_a_new_user_chooses_their_own_password_before_any_page(cast: Cast) -> None:
    assert admin(cast).post("/configure/users/new/", NEW_USER).status_code == 302
    client = logged_in(NEW_USER["email"], CHOSEN)
    for path in ("/reports/", "/console/", "/accounts/security/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/password-change/?next="), path
    page = client.get("/accounts/password-change/?next=/reports/unfinished/")
    assert "Your password was set by an admin" in page.content.decode()
    wrong = client.post(
        "/accounts/password-change/", {"old_password": "nope", "new_password1": OWN, "new_password2": OWN}
    )
    assert wrong.status_code == 200 and "field-error" in wrong.content.decode()
    done = client.post(
        "/accounts/password-change/",
        {"old_password": CHOSEN, "new_password1": OWN, "new_password2": OWN, "next": "/reports/unfinished/"},
    )
    assert done.status_code == 302 and done["Location"] == "/reports/unfinished/"
    assert client.get("/reports/").status_code == 200  # still signed in, nothing more asked
    assert not User.objects.get(email=NEW_USER["email"]).must_change_password
    assert logged_in(NEW_USER["email"], OWN).get("/reports/").status_code == 200


def test_a_waiting_call_opens_first_and_the_change_comes_on_its_draft(cast: Cast) -> None:
    admin(cast).post("/configure/users/new/", NEW_USER)
    client = logged_in(NEW_USER["email"], CHOSEN)
    popped = client.get(CALL)
    assert popped.status_code == 303
    report = CallReport.objects.get()
    editor = client.get(popped["Location"])
    assert editor["Location"] == f"/accounts/password-change/?next=/reports/{report.public_id}/"
    # The page's own background requests (status polls) are never turned into the redirect.
    background = client.get("/reports/", HTTP_X_CALLDESK_BACKGROUND="1")
    assert background.status_code == 200


def test_a_password_the_admin_sets_later_is_changed_too_but_a_reset_by_email_is_the_users_own(cast: Cast) -> None:
    url = f"/configure/users/{cast.specialist.public_id}/"
    data = {"name": "Sam", "role": "specialist", "agent_id": "34", "new_password": CHOSEN}
    assert admin(cast).post(url, data).status_code == 302
    client = logged_in(cast.specialist.email, CHOSEN)
    assert client.get("/reports/")["Location"].startswith("/accounts/password-change/")
    Client().post("/accounts/password-reset/", {"email": cast.specialist.email})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", str(mail.outbox[0].body))
    assert link
    browser = Client()
    form = browser.get(link.group(1), follow=True).redirect_chain[-1][0]
    browser.post(form, {"new_password1": OWN, "new_password2": OWN})
    assert logged_in(cast.specialist.email, OWN).get("/reports/").status_code == 200


def test_without_a_password_the_new_user_is_invited_by_email_to_choose_their_own(cast: Cast) -> None:
    created = admin(cast).post("/configure/users/new/", {**NEW_USER, "password": ""}, follow=True)
    assert "An invitation to choose a password was emailed to new@lifeline.example" in created.content.decode()
    [invitation] = mail.outbox
    assert invitation.to == [NEW_USER["email"]] and "invited you to Calldesk, Lifeline" in str(invitation.body)
    member = User.objects.get(email=NEW_USER["email"])
    assert not member.has_usable_password() and not member.must_change_password
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", str(invitation.body))
    assert link
    browser = Client()
    page = browser.get(link.group(1), follow=True)
    assert "Welcome: choose your password" in page.content.decode()
    browser.post(page.redirect_chain[-1][0], {"new_password1": OWN, "new_password2": OWN})
    assert logged_in(NEW_USER["email"], OWN).get("/reports/").status_code == 200  # no change asked
    again = Client().get(link.group(1), follow=True)
    assert "This link no longer works" in again.content.decode()


def test_a_password_reset_link_is_not_an_invitation(cast: Cast) -> None:
    Client().post("/accounts/password-reset/", {"email": cast.specialist.email})
    reset = re.search(r"/accounts/reset/(\S+/\S+/)", str(mail.outbox[0].body))
    assert reset
    page = Client().get(f"/accounts/invitation/{reset.group(1)}", follow=True)
    assert "This link no longer works" in page.content.decode()
