"""Who is calling the API: an organization's token.

`Authorization: Bearer cdk_…`, or a `token` field of a form-encoded body for phone systems
that cannot set headers. Never in a query string: addresses end up in logs and histories.

Wrong tokens are slowed by the client's address (calldesk.accounts.throttle, `token_check`),
never by the token: a guesser learns nothing from which tokens are refused how. While an
address waits, every token from it is answered 429 with Retry-After before it is looked at,
the right one too (else the answer would tell a guess that hit); other addresses are unaffected.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from calldesk.accounts import throttle
from calldesk.accounts.models import Organization, Role, User
from calldesk.api.bodies import TOKEN_FIELD, ApiError, body_fields, is_form
from calldesk.configure.models import ApiToken
from calldesk.configure.tokens import authenticate_token
from calldesk.lib.clientaddr import client_address


class TokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiToken | None:
        if TOKEN_FIELD in request.GET:
            raise ApiError(
                401, "A token in the address is refused: send it in the Authorization header or a form field."
            )
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, raw = header.partition(" ")
            return self.authenticate(request, raw) if scheme.lower() == "bearer" else None
        if is_form(request):
            sent = body_fields(request).get(TOKEN_FIELD)
            return self.authenticate(request, sent) if isinstance(sent, str) else None
        return None

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return checked_token(request, token)


def checked_token(request: HttpRequest, raw: str) -> ApiToken | None:
    """The active token `raw` is, unless this address is waiting after too many wrong ones."""
    address = client_address(request)
    verdict = throttle.token_check(address)
    if not verdict.allowed:
        raise ApiError(
            429,
            f"Too many wrong API tokens from this address: try again in {verdict.minutes} minute"
            f"{'s' if verdict.minutes > 1 else ''}.",
            retry_after=max(1, int(verdict.wait.total_seconds() + 0.999)),
        )
    token = authenticate_token(raw)
    if token is None:
        throttle.note("", address, throttle.Outcome.TOKEN_FAILURE)
    return token


def token_reader(token: ApiToken) -> User:
    """Whom a token reads as: its organization's reports, all of them, like a supervisor. Never
    saved; it only scopes the report list's filters and `visible_reports`."""
    return organization_reader(token.organization_id, token.organization)


def organization_reader(organization_id: int, organization: Organization | None = None) -> User:
    """The reader every token of an organization is: a supervisor of it (see token_reader)."""
    reader = User(organization_id=organization_id, role=Role.SUPERVISOR, is_active=True)
    if organization is not None:
        reader.organization = organization
    return reader


def token_of(request: HttpRequest) -> ApiToken:
    token = getattr(request, "auth", None)
    assert isinstance(token, ApiToken), "endpoints behind TokenAuth only"
    return token
