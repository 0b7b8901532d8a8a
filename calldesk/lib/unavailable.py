"""The answer while the database cannot be reached: 503, saying so, never a bare 500.

Django turns any exception (in a view, or in a middleware reading the session) into its
500 handler; this handler looks at that exception first. A database that refuses
connections, has gone away or cannot be opened is a passing state, not a bug: the page says
the call is not lost (the phone system's address is still in the browser; reloading it opens
the call once the database is back) and the API (and a page's script that asked for JSON, as
the editor's autosave does) answers JSON with Retry-After, so a phone system retries. `/readyz`
is unchanged: it answers its own 503 for load balancers.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 30
API_MESSAGE = "The database cannot be reached right now; nothing was recorded. Send the request again shortly."


def is_database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, (OperationalError, InterfaceError))


def wants_json(request: HttpRequest) -> bool:
    """The API, and the pages' scripts (the editor's autosave and submit ask for JSON)."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def unavailable(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse({"message": API_MESSAGE, "errors": {}}, status=503)
    else:
        # Rendered without the request, as Django's own 500 is: the user (and their session)
        # would need the database that is down.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: a 503 when the database is the cause, Django's 500 page otherwise."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"message": "Something went wrong on our side; it has been logged.", "errors": {}}, status=500
        )
    return defaults.server_error(request)
