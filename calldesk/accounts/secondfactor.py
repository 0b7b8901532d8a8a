"""The second factor, checked on every request and not only at login.

A session remembers whether its login passed a second factor (`VERIFIED`, set by every
completed login: `login()` is only ever called once every factor the user needed then was
checked, since the login page hands those users to `twofactor_views`). When the user's role
later comes to require one (a promotion, or the organization turning it on for the role) and
the session did not pass one, the session is logged out and turned into a pending sign-in: the
user types a code (or sets up an app) without typing the password again, and goes on to what
they asked for, a waiting call included (the telephony URL keeps it in the session as for
anyone logged out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from calldesk.accounts import twofactor
from calldesk.accounts.models import User

VERIFIED = "calldesk_2fa_verified"
# Where an unverified session may still go: the second step itself, logging out, and what
# needs no user (assets, probes, the API, which authenticates by token).
EXEMPT = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/healthz", "/readyz", "/favicon.ico", "/api/")


def note_login(request: HttpRequest | None, user: Any) -> None:
    """Called for every completed login (user_logged_in)."""
    if request is not None and isinstance(user, User):
        request.session[VERIFIED] = twofactor.needs_second_step(user)


def lacks_second_factor(session: Any, user: Any) -> bool:
    """True when `user`'s role requires a second factor that this session did not pass."""
    return isinstance(user, User) and not session.get(VERIFIED) and twofactor.requires_two_factor(user)


def _login_redirect_next(response: HttpResponse) -> str | None:
    """The `next` of a redirect to the login page, or None for any other answer."""
    if response.status_code not in (301, 302, 303):
        return None
    target = response.get("Location", "")
    if "next=" not in target:  # every redirect to the login page says where to go next
        return None  # (and a screen pop's redirect to its draft costs no reverse())
    location = urlsplit(target)
    if location.path != reverse("accounts-login") or location.netloc:
        return None
    return parse_qs(location.query).get("next", [""])[0]


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not request.path.startswith(EXEMPT) and lacks_second_factor(request.session, user):
            assert isinstance(user, User)
            return self._ask_for_code(request, user)
        return self.get_response(request)

    def _ask_for_code(self, request: HttpRequest, user: User) -> HttpResponse:
        from calldesk.accounts import twofactor_views
        from calldesk.accounts.views import safe_next

        backend = request.session.get(BACKEND_SESSION_KEY) or settings.AUTHENTICATION_BACKENDS[0]
        logout(request)
        # Answered as for someone logged out: pages and the telephony URL (which keeps the
        # call waiting in the session) send the browser to the login page; a page's script
        # gets its 401. The login page is then replaced by the code, the password being known.
        response = self.get_response(request)
        next_path = _login_redirect_next(response)
        if next_path is None:
            return response
        return twofactor_views.begin(request, user, backend, safe_next(next_path))
