"""Site-wide HTTP behaviour: the telephony path's spelling and security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

TELEPHONY_PATH = "/Telephony/GetCallReport"

# No inline script or style anywhere: caller values are data, never markup, and a
# strict policy is the second line of defence behind template escaping.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class CanonicalTelephonyPathMiddleware:
    """Phone systems spell the path as they like (`/telephony/getcallreport`); SPEC §2
    matches it without regard to case, so every spelling is routed to the one URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/").lower() == TELEPHONY_PATH.lower():
            request.path_info = TELEPHONY_PATH
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if not request.path.startswith("/static/"):
            # Pages carry caller data: no browser or proxy may keep a copy.
            response["Cache-Control"] = "no-store"
        return response
