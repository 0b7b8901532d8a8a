"""No NUL character in any text a request sends, checked once for the whole site.

PostgreSQL cannot store a NUL in text (the driver raises, and the page answered 500), SQLite
stores it and cuts the value short in places. A NUL never belongs in an email address, a
caller's number or a report, so rather than teach every form, the API and the telephony URL
to refuse it, this middleware does, before any view runs: the address, the query string, form
fields (their names too) and JSON bodies. The answer is a 400 that says what was wrong, as
JSON under /api/ (like every API error) and as plain text elsewhere.

A middleware rather than a form `clean`: the pages, the API and the login page read their
input in different ways (QueryDict, ninja's parser, Django's auth form), and a check in each is
a check someone forgets in the next one.

Except where a phone system announces a call (the telephony URL, `POST /api/calls…`, the
Zammad CTI events): every call announced is recorded, and a PBX that sends `ani=%00` for a
withheld number must not lose the specialist their screen pop. There the NUL is dropped from
names and values as they are read (`calldesk.telephony.reading.storable`), as it always was.
And where a specialist's report is saved (autosave, submit, close): a draft keeps everything
typed, so a NUL pasted into a field is dropped by the editor's reading (`codecs.no_nul`) rather
than costing the specialist the rest of what they typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from calldesk.lib.middleware import TELEPHONY_PATH

NUL = "\x00"
MESSAGE = "The request holds a NUL character (\\u0000), which no field accepts. Remove it and send again."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The API's paths where phone systems post calls and their events (calls, answers, hang-ups, CTI).
CALL_ANNOUNCING_API = ("/api/calls", "/api/v1/cti/")
# The editor's writes of a report (calldesk.reports.urls): autosave, submit, close.
REPORT_WRITE = re.compile(r"/reports/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/(save|submit|close)")


def holds_nul(value: Any) -> bool:
    """True when a string anywhere in a JSON-like value (keys included) holds a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def _body_holds_nul(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or (limit is not None and length > limit):
        return False  # nothing to read, or too big: the view's own reading refuses it
    try:
        if content_type in FORM_TYPES:
            # The body first: a multipart stream read by the form parser alone could not be
            # read again by the API's body reader (calldesk.api.bodies).
            request.body  # noqa: B018 - read for its side effect  # nosec
            return any(holds_nul(name) or holds_nul(values) for name, values in request.POST.lists())
        if content_type == "application/json" or content_type.endswith("+json"):
            return holds_nul(json.loads(request.body))
    except (ValueError, RecursionError, RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        return False  # unreadable: the view's own reading says so, with its own status
    return False


def announces_a_call(request: HttpRequest) -> bool:
    path = request.path_info
    if path == TELEPHONY_PATH:  # any spelling: CanonicalTelephonyPathMiddleware ran before
        return True
    return request.method == "POST" and path.startswith(CALL_ANNOUNCING_API)


def saves_a_report(request: HttpRequest) -> bool:
    return request.method == "POST" and REPORT_WRITE.fullmatch(request.path_info) is not None


def request_holds_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    if any(holds_nul(name) or holds_nul(values) for name, values in request.GET.lists()):
        return True
    return request.method in ("POST", "PUT", "PATCH", "DELETE") and _body_holds_nul(request)


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not announces_a_call(request) and not saves_a_report(request) and request_holds_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"message": MESSAGE, "errors": {}}, status=400)
            if request.path.startswith("/hsds/"):  # HSDS's own error shape (calldesk.resources.hsds_api)
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
