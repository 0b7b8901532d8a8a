"""What the API tests share: tokens of the cast's organizations and literal requests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.test import Client
from django.test.client import MULTIPART_CONTENT

from calldesk.accounts.models import Role, User
from calldesk.configure.tokens import create_token, revoke_token
from tests.cast import Cast, make_user


def token_for(admin: User, name: str = "PBX") -> str:
    return create_token(admin, name).raw


def other_org_token(cast: Cast) -> str:
    """A token of organization B, made by its own admin."""
    return token_for(make_user(cast.org_b, "boss@other.example", Role.ADMIN))


def revoked_token(admin: User) -> str:
    made = create_token(admin, "old PBX")
    revoke_token(admin, made.token)
    return made.raw


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post_json(path: str, data: Any, token: str | None = None, client: Client | None = None) -> Any:
    headers = bearer(token) if token else {}
    return (client or Client()).post(path, json.dumps(data), content_type="application/json", **headers)


def post_form(path: str, data: dict[str, Any], token: str | None = None, multipart: bool = False) -> Any:
    """Form-encoded as phone systems send it; the token as a `token` field when given."""
    fields = {**data, **({"token": token} if token else {})}
    if multipart:
        return Client().post(path, fields, content_type=MULTIPART_CONTENT)
    return Client().post(path, urlencode(fields, doseq=True), content_type="application/x-www-form-urlencoded")
