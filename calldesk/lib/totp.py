"""Time-based one-time passwords (RFC 6238, the codes authenticator apps show).

Pure functions, no storage: `calldesk.accounts.twofactor` keeps the secrets and the last step
used, so a code is accepted once only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
# Codes one step before and after now are accepted too: phone clocks drift, and a code typed in
# the last seconds of its step arrives in the next one.
DRIFT_STEPS = 1


def new_secret() -> str:
    """A random 160-bit secret in base32, as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def code_at_step(secret: str, step: int) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def matching_step(secret: str, code: str, unix_time: float, after_step: int = -1) -> int | None:
    """The step whose code `code` is, near `unix_time` and later than `after_step`; None if none.

    Passing the last step used as `after_step` refuses a code seen before (a replay).
    """
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = step_at(unix_time)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if step > after_step and hmac.compare_digest(code_at_step(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"
