"""API tokens: made here, checked here. The API authenticates with `authenticate_token`."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.dispatch import Signal
from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.configure.audit import record
from calldesk.configure.models import ApiToken
from calldesk.lib.prepared import Prepared, param

# Sent with `token` when a token's use is recorded (at most once per LAST_USED_STEP): the access audit listens.
token_used = Signal()

TOKEN_PREFIX = "cdk_"
LAST_USED_STEP = timedelta(minutes=1)
SHOWN_CHARS = 12  # "cdk_" and 8 characters of the secret: enough to recognise, useless to guess


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


def create_token(user: User, name: str) -> NewToken:
    assert user.organization is not None
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=user.organization,
        name=name.strip(),
        prefix=raw[:SHOWN_CHARS],
        token_hash=_hash(raw),
        created_by=user,
    )
    record(user.organization, user, "token.create", f"API token {token}")
    return NewToken(token, raw)


def revoke_token(user: User, token: ApiToken) -> bool:
    """Revoke the token; False if it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    assert user.organization is not None
    record(user.organization, user, "token.revoke", f"API token {token}")
    return True


# Every API request reads its token (a revoked one is refused at once): compiled once.
_ACTIVE_TOKEN = Prepared(
    lambda token_hash: ApiToken.objects.select_related("organization").filter(
        token_hash=token_hash, revoked_at__isnull=True
    )[:1],
    token_hash=param(ApiToken, "token_hash"),
)


def authenticate_token(raw: str) -> ApiToken | None:
    """The active token `raw` is, with its organization; None for anything else."""
    raw = raw.strip()
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = _ACTIVE_TOKEN.first(token_hash=_hash(raw))
    # Looked up by the hash of what was sent: timing reveals nothing about a stored token.
    if token is None:
        return None
    # Written at most once a minute: a busy phone system posts many times a second, and
    # admins only need to see that a token is in use.
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_STEP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        token_used.send(sender=ApiToken, token=token)
    return token
