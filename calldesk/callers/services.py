"""What people do with caller profiles: make one, write in it, flag a caller, link numbers,
and what a screen pop reads of it. Pages, the API and config import all call these verbs, so
the limits are the same wherever a value comes from.

Supervisors and admins write; every active user of the organization reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.callers.models import CallerAlert, CallerNumber, CallerProfile, not_blocked
from calldesk.lib.crypto import phone_hash
from calldesk.lib.phones import read_phone
from calldesk.lib.prepared import Prepared, param

MAX_NAME = 200
MAX_INSTRUCTIONS = 4000
MAX_ALERT = 500
MAX_ALERTS = 50  # per profile
MAX_NUMBERS = 20  # per profile
# An alert's expiry: at most this far ahead (an alert meant to stay has no expiry).
MAX_EXPIRY = timedelta(days=5 * 366)
# A block lasts from an hour to a year, or until lifted (permanent).
MAX_BLOCK_HOURS = 24 * 366
BLOCK_CHOICES = [(1, "1 hour"), (4, "4 hours"), (12, "12 hours"), (24, "1 day"), (72, "3 days"), (168, "1 week")]
BLOCK_CHOICES += [(720, "30 days"), (2160, "90 days")]


class CallerError(ValueError):
    """A value a person or a program sent that cannot be used; the message says why."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def may_read(user: User, profile: CallerProfile) -> bool:
    return user.is_active and user.organization_id == profile.organization_id


def may_write(user: User) -> bool:
    return user.is_active and user.organization_id is not None and user.is_supervisor


def _require_writer(user: User, profile: CallerProfile | None = None) -> None:
    if not may_write(user) or (profile is not None and profile.organization_id != user.organization_id):
        raise PermissionError("only the organization's supervisors and admins change caller profiles")


def _actor(user: User) -> User | None:
    """Whom a change is recorded as: nobody for an API token (it acts as an unsaved supervisor)."""
    return user if user.pk is not None else None


def read_number(text: str, region: str) -> str:
    """A number as a person or program gives it, as E.164; a clear error otherwise."""
    reading = read_phone(str(text or "")[:64], region)
    if not reading.ok:
        raise CallerError(reading.problem or "Enter a phone number.", "number")
    return reading.e164


def _text(value: Any, limit: int, name: str, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise CallerError("This cannot be empty.", name)
    if len(text) > limit:
        raise CallerError(f"At most {limit} characters (this has {len(text)}).", name)
    return text


# -- finding -------------------------------------------------------------------------------


# The one query of every screen pop (the number, its profile and the alerts kept in the profile's
# row), compiled once (calldesk.lib.prepared): a pop of a caller with a profile costs little more
# than one without (bench/caller_profile_bench.py).
# Set on a report read by the report pages (reports.services.REPORT_FLAGS, apps.py).
FLAG = "has_caller_profile"

_NUMBER = Prepared(
    lambda organization_id, number_hash: CallerNumber.objects.filter(
        organization_id=organization_id, number_hash=number_hash
    ).select_related("profile")[:1],
    organization_id=param(CallerNumber, "organization"),
    number_hash=param(CallerNumber, "number_hash"),
)


def profile_by_hash(organization_id: int, number_hash: str) -> CallerProfile | None:
    if not number_hash:
        return None
    found = _NUMBER.first(organization_id=organization_id, number_hash=number_hash)
    return found.profile if found is not None else None


def find_profile(organization_id: int, e164: str) -> CallerProfile | None:
    return profile_by_hash(organization_id, phone_hash(e164))


def active_alerts(profile: CallerProfile, now: datetime | None = None) -> list[CallerAlert]:
    return profile.active_alerts(now or timezone.now())


@dataclass
class PopView:
    """What a screen pop shows of the caller, first: the block, the active alerts, the profile."""

    profile: CallerProfile | None = None
    alerts: list[CallerAlert] = field(default_factory=list)
    blocked: bool = False
    until: datetime | None = None

    def as_data(self) -> dict[str, Any]:
        """For the console's push: the same facts, as JSON."""
        if self.profile is None:
            return {}
        return {
            "callerAlerts": [alert.text for alert in self.alerts],
            "callerBlocked": self.blocked,
            "callerBlockedUntil": self.until.isoformat() if self.until else None,
            "callerName": self.profile.preferred_name,
        }


def pop_view(organization_id: int, number_hash: str, now: datetime | None = None) -> PopView:
    """One indexed query, whether the number has a profile or not."""
    profile = profile_by_hash(organization_id, number_hash)
    if profile is None:
        return PopView()
    now = now or timezone.now()
    blocked, until = profile.blocked_until(now)
    return PopView(profile, active_alerts(profile, now), blocked, until)


def check_number(organization_id: int, e164: str, now: datetime | None = None) -> tuple[bool, datetime | None]:
    """Whether a number is blocked now, and until when (None: permanently or not at all)."""
    profile = find_profile(organization_id, e164)
    if profile is None:
        return False, None
    return profile.blocked_until(now or timezone.now())


# -- writing -------------------------------------------------------------------------------


@transaction.atomic
def create_profile(user: User, e164: str) -> tuple[CallerProfile, bool]:
    """The profile of the number, made if there is none yet: (profile, made now)."""
    _require_writer(user)
    assert user.organization_id is not None
    existing = find_profile(user.organization_id, e164)
    if existing is not None:
        return existing, False
    profile = CallerProfile.objects.create(organization_id=user.organization_id, updated_by=_actor(user))
    try:
        with transaction.atomic():
            CallerNumber.objects.create(organization_id=user.organization_id, profile=profile, number_e164=e164)
    except IntegrityError:  # made by someone else at the same moment: theirs counts
        profile.delete()
        found = find_profile(user.organization_id, e164)
        assert found is not None
        return found, False
    return profile, True


def update_profile(user: User, profile: CallerProfile, preferred_name: str, instructions: str) -> None:
    _require_writer(user, profile)
    profile.preferred_name = _text(preferred_name, MAX_NAME, "preferred_name")
    profile.instructions = _text(instructions, MAX_INSTRUCTIONS, "instructions")
    profile.updated_by = _actor(user)
    profile.save(update_fields=["preferred_name", "instructions", "updated_by", "updated_at"])


def _touch(user: User, profile: CallerProfile) -> None:
    profile.updated_by = _actor(user)
    profile.save(update_fields=["updated_by", "updated_at"])


@transaction.atomic
def add_alert(user: User, profile: CallerProfile, text: str, expires_at: datetime | None = None) -> CallerAlert:
    _require_writer(user, profile)
    text = _text(text, MAX_ALERT, "text", required=True)
    now = timezone.now()
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise CallerError("Give the expiry with its time zone.", "expires_at")
        if expires_at <= now:
            raise CallerError("The expiry is in the past.", "expires_at")
        if expires_at > now + MAX_EXPIRY:
            raise CallerError("The expiry is more than 5 years ahead: leave it empty to keep the alert.", "expires_at")
    # Locked: two supervisors adding at once both keep their alert.
    locked = CallerProfile.objects.select_for_update().get(pk=profile.pk)
    if len(locked.alerts or []) >= MAX_ALERTS:
        raise CallerError(f"A profile holds at most {MAX_ALERTS} alerts: remove one first.", "text")
    alert = CallerAlert.new(text, expires_at, now)
    _save_alerts(user, profile, [*(locked.alerts or []), alert.as_json()])
    return alert


def _save_alerts(user: User, profile: CallerProfile, alerts: list[dict[str, Any]]) -> None:
    profile.alerts = alerts
    profile.updated_by = _actor(user)
    profile.save(update_fields=["alerts", "updated_by", "updated_at"])


@transaction.atomic
def remove_alert(user: User, profile: CallerProfile, alert_id: str) -> None:
    _require_writer(user, profile)
    locked = CallerProfile.objects.select_for_update().get(pk=profile.pk)
    kept = [item for item in locked.alerts or [] if item.get("id") != str(alert_id)]
    if len(kept) == len(locked.alerts or []):
        raise CallerError("No such alert.", "alert")
    _save_alerts(user, profile, kept)


def block_caller(user: User, profile: CallerProfile, hours: int | None) -> None:
    """Block for `hours` from now, or permanently (None)."""
    _require_writer(user, profile)
    if hours is not None:
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_BLOCK_HOURS:
            raise CallerError(f"Block for 1 to {MAX_BLOCK_HOURS} hours, or permanently.", "hours")
        until: str | None = (timezone.now() + timedelta(hours=hours)).isoformat()
    else:
        until = None
    profile.block = {"on": True, "until": until}
    profile.updated_by = _actor(user)
    profile.save(update_fields=["block", "updated_by", "updated_at"])


def unblock_caller(user: User, profile: CallerProfile) -> None:
    _require_writer(user, profile)
    profile.block = not_blocked()
    profile.updated_by = _actor(user)
    profile.save(update_fields=["block", "updated_by", "updated_at"])


def flag_caller(
    user: User,
    profile: CallerProfile,
    kind: str,
    *,
    text: str = "",
    expires_at: datetime | None = None,
    hours: int | None = None,
) -> CallerAlert | None:
    """Flag a caller: `alert` adds an alert (text, optional expiry), `block` blocks the number
    (for `hours`, or permanently), `unblock` lifts a block."""
    if kind == "alert":
        return add_alert(user, profile, text, expires_at)
    if kind == "block":
        block_caller(user, profile, hours)
        return None
    if kind == "unblock":
        unblock_caller(user, profile)
        return None
    raise CallerError("The kind is one of alert, block, unblock.", "kind")


@transaction.atomic
def link_number(user: User, profile: CallerProfile, e164: str) -> CallerNumber:
    """Link one more number to the profile: a number already another profile's is refused."""
    _require_writer(user, profile)
    locked = CallerProfile.objects.select_for_update().get(pk=profile.pk)
    elsewhere = find_profile(profile.organization_id, e164)
    if elsewhere is not None:
        message = (
            "This number is already linked to this profile."
            if elsewhere.pk == profile.pk
            else ("This number belongs to another caller's profile: remove it there first.")
        )
        raise CallerError(message, "number")
    if locked.numbers.count() >= MAX_NUMBERS:
        raise CallerError(f"A profile holds at most {MAX_NUMBERS} numbers.", "number")
    try:
        with transaction.atomic():
            number = CallerNumber.objects.create(
                organization_id=profile.organization_id, profile=profile, number_e164=e164
            )
    except IntegrityError:
        raise CallerError("This number belongs to another caller's profile.", "number") from None
    _touch(user, profile)
    return number


def unlink_number(user: User, profile: CallerProfile, number: CallerNumber) -> None:
    """A profile keeps at least one number: without one no pop would ever find it."""
    _require_writer(user, profile)
    if number.profile_id != profile.pk:
        raise CallerError("No such number.", "number")
    if profile.numbers.count() <= 1:
        raise CallerError("A profile keeps at least one number; delete the profile instead.", "number")
    number.delete()
    _touch(user, profile)


def delete_profile(user: User, profile: CallerProfile) -> None:
    _require_writer(user, profile)
    profile.delete()
