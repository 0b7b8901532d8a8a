"""A test's authenticator app: the next unused code for a user's confirmed device."""

from __future__ import annotations

import time

from django.utils import timezone

from calldesk.accounts.models import TwoFactorDevice, User
from calldesk.lib import totp


def code_from_secret(secret: str) -> str:
    return totp.code_at_step(secret, totp.step_at(time.time()))


def next_code(user: User) -> str:
    """A code the server has not accepted yet (it takes each code once), waiting for one if need be."""
    device = TwoFactorDevice.objects.get(user=user)
    while True:
        now = totp.step_at(time.time())
        step = max(now - totp.DRIFT_STEPS, device.last_step + 1)
        if step <= now + totp.DRIFT_STEPS:
            return totp.code_at_step(device.secret, step)
        time.sleep(1)


def enrol(user: User) -> str:
    """Gives `user` a confirmed authenticator app, as if they had set it up; returns its secret."""
    device = TwoFactorDevice.objects.create(user=user, secret=totp.new_secret(), confirmed_at=timezone.now())
    return device.secret
