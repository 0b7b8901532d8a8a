"""Wrong two-factor codes are counted per account across sign-ins (typing the password again
does not start afresh), slowed and locked like wrong passwords, and the user is told at their
next sign-in how many were tried."""

from __future__ import annotations

from django.test import Client

from calldesk.accounts.models import LoginAttempt
from tests.cast import PASSWORD, Cast
from tests.twofactor import enrol, next_code

ATTACKER = "203.0.113.9"
DESK = "198.51.100.7"


def client_at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def sign_in_step_one(client: Client, email: str) -> None:
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response["Location"] == "/accounts/two-factor/"


def wrong_code(client: Client) -> int:
    return int(client.post("/accounts/two-factor/", {"code": "000000x"}).status_code)


def test_typing_the_password_again_does_not_give_five_more_guesses(cast: Cast) -> None:
    enrol(cast.supervisor)
    attacker = client_at(ATTACKER)
    sign_in_step_one(attacker, cast.supervisor.email)
    assert [wrong_code(attacker) for _ in range(5)] == [400] * 5  # the fifth ends the pending sign-in
    sign_in_step_one(attacker, cast.supervisor.email)
    locked = attacker.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)})
    assert locked.status_code == 429
    assert "wrong sign-in codes" in locked.content.decode() and "15 minutes" in locked.content.decode()
    assert attacker.get("/reports/").status_code == 302  # not signed in, even with the right code
    # Hammering the lock does not extend it, nor is it answered with a verdict on the code.
    assert wrong_code(attacker) == 400  # the pending sign-in was ended: start again
    assert LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.CODE_FAILURE).count() == 5


def test_guesses_spread_over_addresses_are_slowed_for_the_account(cast: Cast) -> None:
    enrol(cast.supervisor)
    for n in range(10):
        guesser = client_at(f"192.0.2.{n}")
        sign_in_step_one(guesser, cast.supervisor.email)
        assert wrong_code(guesser) == 400
    eleventh = client_at("192.0.2.200")
    sign_in_step_one(eleventh, cast.supervisor.email)
    assert eleventh.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)}).status_code == 429


def test_the_user_at_their_own_desk_gets_in_and_is_told_of_the_wrong_codes(cast: Cast) -> None:
    enrol(cast.supervisor)
    desk = client_at(DESK)
    sign_in_step_one(desk, cast.supervisor.email)
    assert desk.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)}).status_code == 302
    desk.post("/accounts/logout/")
    for n in range(12):  # the attacker, from many places; the account rule slows them
        guesser = client_at(f"192.0.2.{n}")
        sign_in_step_one(guesser, cast.supervisor.email)
        wrong_code(guesser)
    tried = LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.CODE_FAILURE).count()
    assert tried >= 10

    desk = client_at(DESK)
    sign_in_step_one(desk, cast.supervisor.email)
    signed_in = desk.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)}, follow=True)
    assert signed_in.status_code == 200
    assert f"{tried} wrong sign-in codes were typed after your password" in signed_in.content.decode()
    desk.post("/accounts/logout/")

    # Told once: the next sign-in says nothing more.
    again = client_at(DESK)
    sign_in_step_one(again, cast.supervisor.email)
    quiet = again.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)}, follow=True)
    assert "wrong sign-in code" not in quiet.content.decode()


def test_an_admin_unlock_lifts_the_code_lock(cast: Cast) -> None:
    from calldesk.accounts import throttle

    enrol(cast.supervisor)
    attacker = client_at(ATTACKER)
    sign_in_step_one(attacker, cast.supervisor.email)
    for _ in range(5):
        wrong_code(attacker)
    throttle.unlock(cast.supervisor.email)
    sign_in_step_one(attacker, cast.supervisor.email)
    assert attacker.post("/accounts/two-factor/", {"code": next_code(cast.supervisor)}).status_code == 302
