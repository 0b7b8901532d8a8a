"""The organization's idle timeout: a session unused for that long is logged out.

Requests the page makes by itself (marked `X-Calldesk-Background: 1`, e.g. a status poll)
do not count as use, so a forgotten open tab still times out. Autosave is typing, so it counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

LAST_ACTIVITY = "calldesk_last_activity"
# The activity time is written at most this often: writing it on every request would make every
# request, even a page view, a database write (SQLite has one writer at a time). The timeout is
# therefore exact to within this many seconds.
ACTIVITY_RESOLUTION = 60
BACKGROUND_HEADER = "HTTP_X_CALLDESK_BACKGROUND"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            org = getattr(user, "organization", None)
            minutes = org.idle_timeout_minutes if org is not None else 30
            now = time.time()
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and now - float(last) > minutes * 60:
                logout(request)
                request.idle_logged_out = True  # type: ignore[attr-defined]
            elif request.META.get(BACKGROUND_HEADER) != "1" and (
                last is None or now - float(last) >= ACTIVITY_RESOLUTION
            ):
                request.session[LAST_ACTIVITY] = now
        return self.get_response(request)


class OrganizationTimezoneMiddleware:
    """Times are stored in UTC and shown in the organization's time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        org = getattr(request.user, "organization", None) if request.user.is_authenticated else None
        if org is not None:
            timezone.activate(org.zone)
        else:
            timezone.deactivate()
        return self.get_response(request)
