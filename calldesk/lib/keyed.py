"""Keyed hashes of callers' numbers: records that must be searchable by a number without
holding it (the access audit) keep this instead.

An HMAC-SHA-256 with a key of the installation's (AUDIT_HASH_KEY, else derived from
SECRET_KEY): without the key a hash cannot be turned back into a number by trying all
numbers, as a plain hash could. Changing the key leaves older hashes unsearchable.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import salted_hmac


def phone_digest(e164: str) -> str:
    """The keyed hash of a normalised (E.164) number; "" for no number."""
    if not e164:
        return ""
    secret = settings.AUDIT_HASH_KEY or settings.SECRET_KEY
    return salted_hmac("calldesk.phone-digest", e164, secret=secret, algorithm="sha256").hexdigest()
