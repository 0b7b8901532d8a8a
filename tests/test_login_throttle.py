"""Login throttling: behind the TLS proxy each client is told apart by the
address the proxy saw; guesses are slowed per email and address, per address across
emails (password spraying) and per email across addresses; the real user at their own
address still gets in, and an admin can unlock an email."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings

from calldesk.accounts.models import LoginAttempt
from calldesk.configure.models import AuditEntry
from tests.cast import PASSWORD, Cast

PROXY = "10.0.0.2"
SAM = "sam@lifeline.example"
SAMS_DESK = "198.51.100.7"
ATTACKER = "203.0.113.9"
WRONG = "wrong-password-1"


def attempt(email: str, password: str, client_at: str, forwarded_prefix: str = "") -> Any:
    """A login POST as it reaches Calldesk through the proxy, which appends the client's address."""
    forwarded = f"{forwarded_prefix}, {client_at}" if forwarded_prefix else client_at
    return Client().post(
        "/accounts/login/",
        {"username": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def age_attempts(minutes: float) -> None:
    """Move every recorded attempt into the past, as waiting would."""
    for row in LoginAttempt.objects.all():
        row.at -= timedelta(minutes=minutes)
        row.save(update_fields=["at"])


behind_proxy = override_settings(TRUSTED_PROXIES=1)


@behind_proxy
def test_an_attacker_behind_the_same_proxy_does_not_lock_the_user_out(cast: Cast) -> None:
    for _ in range(6):
        attempt(SAM, WRONG, ATTACKER)
    assert attempt(SAM, PASSWORD, ATTACKER).status_code == 429
    assert attempt(SAM, PASSWORD, SAMS_DESK).status_code == 302


@behind_proxy
def test_a_forged_forwarded_for_does_not_escape_the_lock(cast: Cast) -> None:
    for n in range(5):
        attempt(SAM, WRONG, ATTACKER, forwarded_prefix=f"192.0.2.{n}")
    locked = attempt(SAM, PASSWORD, ATTACKER, forwarded_prefix="192.0.2.99")
    assert locked.status_code == 429
    assert "Try again in 15 minutes" in locked.content.decode()


def test_without_trusted_proxies_the_forwarded_header_is_ignored(cast: Cast) -> None:
    client = Client()
    for n in range(5):
        client.post("/accounts/login/", {"username": SAM, "password": WRONG}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert client.post("/accounts/login/", {"username": SAM, "password": PASSWORD}).status_code == 429


@behind_proxy
def test_password_spraying_from_one_address_is_slowed(cast: Cast) -> None:
    emails = [f"person{n}@lifeline.example" for n in range(30)]
    answers = [
        attempt(email, f"guess-{round_}-password", ATTACKER).status_code for round_ in range(4) for email in emails
    ]
    assert len(answers) == 120
    checked = answers.count(200)  # the password was checked and was wrong
    assert checked == 20
    assert answers[20:] == [429] * 100
    # The refused tries were not counted: the address waits 15 minutes from its 20th failure.
    age_attempts(15.1)
    assert attempt(emails[0], "another-guess-123", ATTACKER).status_code == 200


@behind_proxy
def test_a_real_user_at_a_sprayed_address_they_logged_in_from_still_gets_in(cast: Cast) -> None:
    assert attempt(SAM, PASSWORD, ATTACKER).status_code == 302  # e.g. a shared office address
    for n in range(25):
        attempt(f"person{n}@lifeline.example", WRONG, ATTACKER)
    assert attempt("kim@lifeline.example", PASSWORD, ATTACKER).status_code == 429
    assert attempt(SAM, PASSWORD, ATTACKER).status_code == 302


@behind_proxy
def test_guesses_at_one_account_from_many_addresses_wait_longer_and_longer(cast: Cast) -> None:
    for n in range(10):
        assert attempt(SAM, WRONG, f"192.0.2.{n}").status_code == 200
    # The 11th try waits a second after the 10th failure, wherever it comes from.
    assert attempt(SAM, WRONG, "192.0.2.50").status_code == 429
    age_attempts(1.1 / 60)
    assert attempt(SAM, WRONG, "192.0.2.51").status_code == 200
    for n in range(6):  # each failure doubles the wait: 2 s, 4 s, ... 64 s
        age_attempts(70 / 60)
        assert attempt(SAM, WRONG, f"192.0.2.{60 + n}").status_code == 200
    assert attempt(SAM, PASSWORD, "192.0.2.53").status_code == 429
    age_attempts(1)
    assert attempt(SAM, PASSWORD, "192.0.2.53").status_code == 429  # 128 s by now
    age_attempts(70 / 60)
    assert attempt(SAM, PASSWORD, "192.0.2.53").status_code == 302


@behind_proxy
def test_an_account_under_a_spread_out_attack_still_lets_its_user_in_from_their_desk(cast: Cast) -> None:
    assert attempt(SAM, PASSWORD, SAMS_DESK).status_code == 302
    for n in range(30):
        attempt(SAM, WRONG, f"192.0.2.{n}")
    assert attempt(SAM, PASSWORD, "192.0.2.200").status_code == 429
    assert attempt(SAM, PASSWORD, SAMS_DESK).status_code == 302


@behind_proxy
def test_a_lock_ends_15_minutes_after_the_last_failure_and_hammering_does_not_extend_it(cast: Cast) -> None:
    for _ in range(5):
        attempt(SAM, WRONG, ATTACKER)
    age_attempts(10)
    for _ in range(20):
        assert attempt(SAM, WRONG, ATTACKER).status_code == 429
    age_attempts(5.1)
    assert attempt(SAM, PASSWORD, ATTACKER).status_code == 302


@behind_proxy
def test_a_success_forgets_the_failures_before_it(cast: Cast) -> None:
    for _ in range(4):
        attempt(SAM, WRONG, SAMS_DESK)
    assert attempt(SAM, PASSWORD, SAMS_DESK).status_code == 302
    for _ in range(4):
        attempt(SAM, WRONG, SAMS_DESK)
    assert attempt(SAM, PASSWORD, SAMS_DESK).status_code == 302


@pytest.fixture
def ada(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


@behind_proxy
def test_an_admin_sees_failed_logins_and_unlocks_the_user(cast: Cast, ada: Client) -> None:
    for _ in range(5):
        attempt(SAM, WRONG, "192.0.2.77")
    for n in range(25):
        attempt(f"person{n}@lifeline.example", WRONG, ATTACKER)
    assert attempt(SAM, PASSWORD, "192.0.2.77").status_code == 429
    assert attempt(SAM, PASSWORD, ATTACKER).status_code == 429
    page = ada.get(f"/configure/users/{cast.specialist.public_id}/")
    assert "5 failed logins in the last 15 minutes" in page.content.decode()

    response = ada.post(f"/configure/users/{cast.specialist.public_id}/unlock")
    assert response.status_code == 302
    # Unlocked where it failed, and even at the sprayed address; other emails from it stay slowed.
    assert attempt(SAM, PASSWORD, "192.0.2.77").status_code == 302
    assert attempt(SAM, PASSWORD, ATTACKER).status_code == 302
    assert attempt("kim@lifeline.example", PASSWORD, ATTACKER).status_code == 429
    assert AuditEntry.objects.filter(action="user.unlock", user=cast.admin, target=SAM).exists()
    assert "No failed logins" in ada.get(f"/configure/users/{cast.specialist.public_id}/").content.decode()


def test_only_an_admin_of_the_users_organization_may_unlock(cast: Cast, supervisor_client: Client) -> None:
    url = f"/configure/users/{cast.specialist.public_id}/unlock"
    assert supervisor_client.post(url).status_code == 404
    other_admin = Client()
    from tests.cast import make_user

    other_admin.force_login(make_user(cast.org_b, "admin@other.example", "admin"))
    assert other_admin.post(url).status_code == 404
    assert Client().post(url).status_code == 302  # to the login page
    assert not LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.UNLOCKED).exists()


def test_unlock_is_a_post(cast: Cast, ada: Client) -> None:
    assert ada.get(f"/configure/users/{cast.specialist.public_id}/unlock").status_code == 405
