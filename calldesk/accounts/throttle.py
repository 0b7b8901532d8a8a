"""Slowing down password guessing without letting an attacker lock a real user out.

Three rules, over the failures of the last WINDOW (docs in README, "Login throttling"):

1. One email from one address: after `LOGIN_FAILURE_LIMIT` failures (default 5) that pair
   waits until WINDOW after its last failure. An attacker elsewhere does not lock the user.
2. One address across emails (password spraying): after ADDRESS_LIMIT failures the address
   waits until WINDOW after its last failure.
3. One email across addresses (a spread-out attack on one account): after ACCOUNT_FREE
   failures, each further try waits twice as long as the one before (1 s, 2 s, 4 s … up to
   WINDOW) after the last failure.

Rules 2 and 3 never apply where the user has logged in successfully from this address
before (within KNOWN_FOR), nor for WINDOW after an admin unlocked the email: so the real
user, at their usual desk, gets in whatever an attacker does elsewhere. Refused tries are
recorded but not counted, so hammering a lock does not extend it.

Wrong two-factor codes (the password being right) follow rules 1 and 3 on their own count,
kept across sign-ins: typing the password again does not start it afresh. The user is told
at their next sign-in how many wrong codes were tried (`code_failures_since_last_sign_in`).

Wrong API tokens follow rule 3 by address alone (`token_check`): never by token, which would
tell a guesser when one exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.dispatch import Signal
from django.utils import timezone

from calldesk.accounts.models import LoginAttempt
from calldesk.lib import emails
from calldesk.lib.clientaddr import UNKNOWN
from calldesk.lib.prepared import Prepared, param

Outcome = LoginAttempt.Outcome

WINDOW = timedelta(minutes=15)
ADDRESS_LIMIT = 20
ACCOUNT_FREE = 10
KNOWN_FOR = timedelta(days=90)
# Attempts older than this serve no rule; `calldesk maintenance` deletes them.
KEEP_FOR = KNOWN_FOR
# Sent with `email` and `request` when a try is refused before its password is checked.
login_refused = Signal()


@dataclass(frozen=True)
class Verdict:
    wait: timedelta  # zero: go ahead

    @property
    def allowed(self) -> bool:
        return self.wait <= timedelta(0)

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.wait.total_seconds()) // 60))


def normalise_email(typed: str) -> str:
    """The address as stored (calldesk.lib.emails), cut to the column's length: José@ and josé@ count as one."""
    return emails.normalise_email(typed)[:254]


def check(email: str, address: str, now: datetime | None = None) -> Verdict:
    now = now or timezone.now()
    since = now - WINDOW
    recent = LoginAttempt.objects.filter(at__gte=since, outcome=Outcome.FAILURE)
    waits = [timedelta(0)]
    pair = list(recent.filter(email=email, address=address).values_list("at", flat=True))
    if len(pair) >= settings.LOGIN_FAILURE_LIMIT:
        waits.append(max(pair) + WINDOW - now)
    if not _trusted(email, address, now):
        from_address = recent.filter(address=address).aggregate(n=Count("id"), last=Max("at"))
        if from_address["n"] >= ADDRESS_LIMIT:
            waits.append(from_address["last"] + WINDOW - now)
        for_email = recent.filter(email=email).aggregate(n=Count("id"), last=Max("at"))
        if for_email["n"] >= ACCOUNT_FREE:
            waits.append(for_email["last"] + _doubling(for_email["n"] - ACCOUNT_FREE) - now)
    return Verdict(max(waits))


def code_check(email: str, address: str, now: datetime | None = None) -> Verdict:
    """May this pending sign-in try a code? Rules 1 and 3 over the wrong codes of this email."""
    now = now or timezone.now()
    recent = LoginAttempt.objects.filter(at__gte=now - WINDOW, outcome=Outcome.CODE_FAILURE, email=email)
    waits = [timedelta(0)]
    pair = recent.filter(address=address).aggregate(n=Count("id"), last=Max("at"))
    if pair["n"] >= settings.LOGIN_FAILURE_LIMIT:
        waits.append(pair["last"] + WINDOW - now)
    if not _trusted(email, address, now):
        for_email = recent.aggregate(n=Count("id"), last=Max("at"))
        if for_email["n"] >= ACCOUNT_FREE:
            waits.append(for_email["last"] + _doubling(for_email["n"] - ACCOUNT_FREE) - now)
    return Verdict(max(waits))


def code_failures_since_last_sign_in(email: str) -> int:
    """Wrong codes typed for this email since its last completed sign-in (before the one being
    completed now, which is noted after this is read)."""
    last = LoginAttempt.objects.filter(email=email, outcome=Outcome.SUCCESS).aggregate(last=Max("at"))["last"]
    failures = LoginAttempt.objects.filter(email=email, outcome=Outcome.CODE_FAILURE)
    return (failures.filter(at__gt=last) if last is not None else failures).count()


TOKEN_FREE = 20


def token_check(address: str, now: datetime | None = None) -> Verdict:
    """May this address present an API token? After TOKEN_FREE wrong ones in WINDOW, each
    further try waits twice as long as the one before (1 s … up to WINDOW)."""
    now = now or timezone.now()
    found = _TOKEN_FAILURES.rows(address=address, since=now - WINDOW)  # no row: no failure
    failures, last = found[0] if found else (0, None)
    if failures < TOKEN_FREE:
        return Verdict(timedelta(0))
    return Verdict(last + _doubling(failures - TOKEN_FREE) - now)


# Read for every API request (before its token is looked at): compiled once. The count and the
# latest of the window's failures, as one group (the one outcome), so that it is a values_list.
_TOKEN_FAILURES = Prepared(
    lambda address, since: (
        LoginAttempt.objects.filter(at__gte=since, outcome=Outcome.TOKEN_FAILURE, address=address)
        .order_by()
        .values("outcome")
        .annotate(n=Count("id"), last=Max("at"))
        .values_list("n", "last")
    ),
    address=param(LoginAttempt, "address"),
    since=param(LoginAttempt, "at"),
)


def _doubling(beyond: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(beyond, 20)), WINDOW)


def _trusted(email: str, address: str, now: datetime) -> bool:
    """The user's own address, or an email an admin just unlocked."""
    attempts = LoginAttempt.objects.filter(email=email)
    return (
        attempts.filter(outcome=Outcome.SUCCESS, address=address, at__gte=now - KNOWN_FOR).exists()
        or attempts.filter(outcome=Outcome.UNLOCKED, at__gte=now - WINDOW).exists()
    )


def note(email: str, address: str, outcome: str) -> None:
    LoginAttempt.objects.create(at=timezone.now(), email=email, address=address, outcome=outcome)
    if outcome == Outcome.SUCCESS:
        # The right password (and code) from here: this pair's earlier failures no longer count.
        LoginAttempt.objects.filter(
            email=email, address=address, outcome__in=(Outcome.FAILURE, Outcome.CODE_FAILURE)
        ).delete()


def failures(email: str, now: datetime | None = None) -> int:
    """Failed logins for this email in the window, from any address (shown to admins)."""
    since = (now or timezone.now()) - WINDOW
    return LoginAttempt.objects.filter(email=email, outcome=Outcome.FAILURE, at__gte=since).count()


def unlock(email: str) -> None:
    """An admin lifts every lock on this email: its failures are forgotten, and for WINDOW
    the address and account rules let it through (a sprayed address included)."""
    LoginAttempt.objects.filter(email=email, outcome__in=(Outcome.FAILURE, Outcome.CODE_FAILURE)).delete()
    # The address is unused for an unlock; 0.0.0.0 is the placeholder (calldesk.lib.clientaddr).
    LoginAttempt.objects.create(at=timezone.now(), email=email, address=UNKNOWN, outcome=Outcome.UNLOCKED)


def forget_old(now: datetime | None = None) -> int:
    deleted, _ = LoginAttempt.objects.filter(at__lt=(now or timezone.now()) - KEEP_FOR).delete()
    return deleted
