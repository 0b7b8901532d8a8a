"""A call that arrives before login waits briefly: the logged-out session holding the
caller's number expires after 15 minutes, login ends that short life, the call leaves the
session once opened, and `calldesk maintenance` deletes expired sessions."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from io import StringIO

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from calldesk.accounts.models import LoginAttempt
from calldesk.lib.crypto import unseal
from calldesk.telephony.views import PENDING_KEY
from tests.cast import PASSWORD, Cast

CALL = "/Telephony/GetCallReport?reportVer=9991234&agent=35&ani=999-123-4567&language=112211"


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def waiting(client: Client) -> tuple[Client, str]:
    return client, client.get(client.get(CALL)["Location"]).context["next"]


def test_a_logged_out_session_holding_a_caller_expires_within_15_minutes(cast: Cast) -> None:
    client, _ = waiting(Client())
    row = session_row(client)
    # The row holds the caller, sealed (docs/security.md): opened, it is the number sent.
    (entry,) = row.get_decoded()["calldesk_pending_calls"].values()
    assert "999-123-4567" not in str(row.get_decoded()) and ["ani", "999-123-4567"] in json.loads(
        unseal(entry["pairs"])
    )
    assert row.expire_date - timezone.now() <= timedelta(minutes=15)


def test_login_restores_the_normal_session_length_and_opening_removes_the_call(cast: Cast) -> None:
    client, next_url = waiting(Client())
    logged_in = client.post(
        "/accounts/login/", {"username": "kim@lifeline.example", "password": PASSWORD, "next": next_url}
    )
    assert logged_in.status_code == 302
    assert session_row(client).expire_date - timezone.now() > timedelta(hours=11)
    assert client.get(logged_in["Location"]).status_code == 303
    decoded = session_row(client).get_decoded()
    assert PENDING_KEY not in decoded
    # Not the number, written or as digits ("999" alone turns up in the session's random hashes).
    assert "123-4567" not in str(decoded) and "1234567" not in str(decoded)


def test_a_call_waiting_longer_than_15_minutes_is_not_opened_and_is_dropped(cast: Cast) -> None:
    client, next_url = waiting(Client())
    session = client.session
    for entry in session[PENDING_KEY].values():
        entry["at"] = time.time() - 16 * 60
    session.save()
    logged_in = client.post(
        "/accounts/login/", {"username": "kim@lifeline.example", "password": PASSWORD, "next": next_url}
    )
    assert PENDING_KEY not in session_row(client).get_decoded()  # dropped at login
    assert client.get(logged_in["Location"]).status_code == 404


def test_maintenance_deletes_expired_sessions_and_old_login_attempts(cast: Cast) -> None:
    expired, _ = waiting(Client())
    live = Client()
    live.force_login(cast.specialist)
    Session.objects.filter(session_key=expired.cookies["sessionid"].value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    LoginAttempt.objects.create(
        at=timezone.now() - timedelta(days=91), email="a@b.example", address="192.0.2.1", outcome="failure"
    )
    LoginAttempt.objects.create(at=timezone.now(), email="a@b.example", address="192.0.2.1", outcome="failure")
    out = StringIO()
    call_command("maintenance", stdout=out)
    assert "1 expired sessions and 1 old login attempts deleted." in out.getvalue()
    assert not Session.objects.filter(session_key=expired.cookies["sessionid"].value).exists()
    assert Session.objects.filter(session_key=live.cookies["sessionid"].value).exists()
    assert list(LoginAttempt.objects.filter(email="a@b.example").values_list("outcome", flat=True)) == ["failure"]


def test_maintenance_runs_retention_too(cast: Cast) -> None:
    from tests.reportdata import make_known

    cast.org_a.retention_days = 1
    cast.org_a.save(update_fields=["retention_days"])
    known = make_known(cast)
    out = StringIO()
    call_command("maintenance", stdout=out)
    known.r1.refresh_from_db()
    assert known.r1.phone_e164 == "" and known.r1.redacted_at is not None
    assert "lifeline:" in out.getvalue()
    call_command("maintenance", "--skip-retention", stdout=StringIO())
