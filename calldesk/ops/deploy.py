"""Checks that stop a production start that would be unsafe, with a message saying what to set."""

from __future__ import annotations

from django.conf import settings

KEY_HINT = 'e.g. SECRET_KEY="$(python3 -c "import secrets; print(secrets.token_urlsafe(50))")"'


def secret_key_problem() -> str:
    """ "" unless the key is the public default (or empty) outside DEBUG: anyone could then
    forge sessions and CSRF tokens, since the default is in the source code."""
    if settings.DEBUG:
        return ""
    if not settings.SECRET_KEY or settings.SECRET_KEY == settings.PUBLIC_SECRET_KEY:
        return (
            "SECRET_KEY is not set, so Calldesk would sign sessions with the public default key. "
            f"Set SECRET_KEY to a long random value and keep it secret ({KEY_HINT}); "
            "every process of the installation needs the same one."
        )
    return ""
