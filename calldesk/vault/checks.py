"""`calldesk check --deploy`: caller data must not be sealed with keys kept beside the data."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from calldesk.lib.crypto import CryptoError, keyring

UNSET = {
    "CALLDESK_DATA_KEYS": "caller data is encrypted with",
    "CALLDESK_HASH_KEY": "phone numbers are hashed with",
    "CALLDESK_BACKUP_KEY": "backups are encrypted with",
}


@register(Tags.security, deploy=True)
def keys_set_explicitly(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for number, (name, what) in enumerate(UNSET.items(), start=1):
        if not getattr(settings, name):
            messages.append(
                Warning(
                    f"{name} is not set: {what} a key generated into {settings.CALLDESK_KEY_FILE}, "
                    "on the same disk as the database, so a stolen disk or copy holds both.",
                    hint="Set it from a secret store (`calldesk crypto new-key` makes a key); see docs/security.md. "
                    "To keep reading existing data, copy the values from that key file.",
                    id=f"calldesk.W10{number}",
                )
            )
    return messages


@register(Tags.security)
def keys_are_valid(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        keyring()
    except CryptoError as problem:
        return [Error(str(problem), id="calldesk.E101")]
    return []
