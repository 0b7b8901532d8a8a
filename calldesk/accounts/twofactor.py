"""Two-factor sign-in: enrolment of an authenticator app, codes, recovery codes, admin reset.

A password alone never logs in a user who has an authenticator app or whose role the
organization requires one for: the login page leaves a *pending* sign-in in the session, and
only a good code (or an unused recovery code) turns it into a login (`calldesk.accounts.views`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from calldesk.accounts.models import RecoveryCode, TwoFactorDevice, User
from calldesk.lib import totp

RECOVERY_CODE_COUNT = 10
# Wrong codes allowed for one pending sign-in; then the password must be typed again (and the
# login throttling counts that).
MAX_CODE_ATTEMPTS = 5
# How long a pending sign-in (password right, code not yet typed) lasts.
PENDING_SECONDS = 5 * 60


def requires_two_factor(user: User) -> bool:
    org = user.organization
    return org is not None and user.role in org.roles_requiring_two_factor


def confirmed_device(user: User) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def needs_second_step(user: User) -> bool:
    """True when a password is not enough for `user`: they have an app, or their role requires one."""
    return requires_two_factor(user) or confirmed_device(user) is not None


def start_enrolment(user: User) -> TwoFactorDevice:
    """The unconfirmed device being set up (a new secret the first time; the same one on reload)."""
    device, _ = TwoFactorDevice.objects.get_or_create(user=user, defaults={"secret": totp.new_secret()})
    if device.confirmed_at is not None:
        raise ValueError("already enrolled")
    return device


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(user: User) -> list[str]:
    """Replaces the user's recovery codes with new ones; the plain codes are shown once, never stored."""
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash(code)) for code in codes)
    return codes


def confirm_enrolment(user: User, code: str, now: float | None = None) -> list[str] | None:
    """Confirms the device being set up with a code from the app; returns new recovery codes, or None."""
    now = time.time() if now is None else now
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if device is None:
            return None
        step = totp.matching_step(device.secret, code, now, device.last_step)
        if step is None:
            return None
        device.last_step = step
        device.confirmed_at = timezone.now()
        device.save(update_fields=["last_step", "confirmed_at"])
        return new_recovery_codes(user)


@dataclass
class CodeCheck:
    ok: bool
    used_recovery_code: bool = False
    recovery_codes_left: int = 0


def check_code(user: User, code: str, now: float | None = None) -> CodeCheck:
    """A code from the user's app, or one of their unused recovery codes; each is good once."""
    now = time.time() if now is None else now
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        if device is None:
            return CodeCheck(ok=False)
        step = totp.matching_step(device.secret, code, now, device.last_step)
        if step is not None:
            device.last_step = step
            device.save(update_fields=["last_step"])
            return CodeCheck(ok=True)
        if len(_normalise(code)) < 16:  # not the shape of a recovery code: spare the lookup
            return CodeCheck(ok=False)
        used = RecoveryCode.objects.filter(user=user, code_hash=_hash(code), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not used:
            return CodeCheck(ok=False)
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        return CodeCheck(ok=True, used_recovery_code=True, recovery_codes_left=left)


def reset(user: User) -> bool:
    """Removes the user's app and recovery codes (an admin's reset): they enrol again at next sign-in."""
    with transaction.atomic():
        removed, _ = TwoFactorDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
    return bool(removed)
