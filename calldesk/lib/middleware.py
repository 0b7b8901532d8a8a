"""Site-wide HTTP behaviour: the telephony path's spelling, form charsets and security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

TELEPHONY_PATH = "/Telephony/GetCallReport"

# No inline script or style anywhere: caller values are data, never markup, and a
# strict policy is the second line of defence behind template escaping.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class CanonicalTelephonyPathMiddleware:
    """Phone systems spell the path as they like (`/telephony/getcallreport`); the path
    matches without regard to case, so every spelling is routed to the one URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/").lower() == TELEPHONY_PATH.lower():
            request.path_info = TELEPHONY_PATH
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORM_CHARSETS = ("", "utf-8", "utf8")


class FormCharsetMiddleware:
    """Forms are read as UTF-8. Any other declared charset is refused here with a 400 that
    says so: left to Django, the CSRF check's reading of the form raises, and the error page
    (which checks CSRF again) raises once more, so the answer was an empty 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.content_type in FORM_TYPES:
            charset = (request.content_params or {}).get("charset", "").strip().lower()
            if charset not in FORM_CHARSETS:
                return HttpResponseBadRequest(
                    "Forms must be sent in UTF-8 (charset=utf-8).", content_type="text/plain; charset=utf-8"
                )
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
