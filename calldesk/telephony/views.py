"""`/Telephony/GetCallReport`: the URL phone systems open."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.base import SessionBase
from django.core.handlers.wsgi import WSGIRequest, get_bytes_from_wsgi
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from calldesk.accounts.access import current_user
from calldesk.lib.crypto import CryptoError, seal, unseal
from calldesk.telephony.reading import read_params
from calldesk.telephony.services import MissingReportVer, UnknownForm, open_call

# Calls that arrived before login wait in the session (server-side), not in the address
# bar, so the caller's number never shows in the login page's URL or an access log; sealed,
# since the session table is as readable in a dump as any other. They wait PENDING_SECONDS at
# most: a logged-out session holding one expires then (and `calldesk maintenance` deletes it),
# and a call not resumed by then is dropped at the next look.
PENDING_KEY = "calldesk_pending_calls"
MAX_PENDING = 20
PENDING_SECONDS = 15 * 60


def waiting_calls(session: SessionBase) -> dict[str, dict[str, Any]]:
    """The session's waiting calls that are still in time (token → {"at", "pairs"})."""
    now = time.time()
    pending = session.get(PENDING_KEY, {})
    fresh = {
        token: entry
        for token, entry in pending.items()
        if isinstance(entry, dict) and now - entry.get("at", 0) < PENDING_SECONDS
    }
    if fresh != pending:
        _store(session, fresh)
    return fresh


def _store(session: SessionBase, pending: dict[str, dict[str, Any]]) -> None:
    if pending:
        session[PENDING_KEY] = pending
    else:
        session.pop(PENDING_KEY, None)


def request_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """The parameters in the order they were sent.

    A QueryDict groups the values of each spelling of a name: `ANI=&ani=1&ANI=2` would read
    as ANI, ANI, ani and the 2 would count, where the first non-empty value counts
    as sent. So the query string (or form body) is read again, the way Django reads it.
    """
    data = request.POST if request.method == "POST" else request.GET  # Django's limits first (400)
    raw: str | bytes
    if request.method == "POST":
        if request.content_type != "application/x-www-form-urlencoded":
            return [(name, value) for name in data for value in data.getlist(name)]  # multipart: as Django has it
        raw = request.body
    elif isinstance(request, WSGIRequest):
        raw = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
    else:
        raw = request.META.get("QUERY_STRING", "")  # ASGI: text already
    encoding = request.encoding or settings.DEFAULT_CHARSET
    text = raw if isinstance(raw, str) else _decoded(raw, encoding)
    return parse_qsl(
        text, keep_blank_values=True, encoding=encoding, max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    )


def _decoded(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return raw.decode("iso-8859-1")  # as QueryDict does for misbehaving senders


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "telephony/error.html", {"title": title, "message": message}, status=status)


def _missing_report_ver(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        400,
        "reportVer is missing",
        "This link has no reportVer parameter, so Calldesk cannot tell which call report form to open. "
        "The phone system's URL must include reportVer=… (for example ?reportVer=9991234).",
    )


def not_found(request: HttpRequest) -> HttpResponse:
    # One answer for unknown, retired and other organizations' forms: nobody learns which exist.
    return _error(
        request,
        404,
        "Call report form not found",
        "No call report form with this reportVer is open to you. Check the reportVer your phone system sends.",
    )


@csrf_exempt  # phone systems that can only POST send no CSRF token; opening a draft is all it does
@require_http_methods(["GET", "POST"])
def get_call_report(request: HttpRequest) -> HttpResponse:
    pairs = request_pairs(request)
    # Checked before login too: a phone system set up wrong is told so without anyone logging in.
    if not read_params(pairs).get("reportver"):
        return _missing_report_ver(request)
    if not request.user.is_authenticated:
        token = secrets.token_urlsafe(16)
        pending = dict(list(waiting_calls(request.session).items())[-(MAX_PENDING - 1) :])
        pending[token] = {"at": time.time(), "pairs": seal(json.dumps(pairs))}
        _store(request.session, pending)
        # The whole logged-out session lasts no longer than its waiting call (login resets it).
        request.session.set_expiry(PENDING_SECONDS)
        resume = reverse("telephony-resume", kwargs={"token": token})
        return HttpResponseRedirect(reverse("accounts-login") + "?next=" + quote(resume))
    return _open(request, pairs)


@login_required
@require_http_methods(["GET"])
def resume(request: HttpRequest, token: str) -> HttpResponse:
    pending = waiting_calls(request.session)
    entry = pending.pop(token, None)
    _store(request.session, pending)
    pairs = _unsealed(entry["pairs"]) if entry is not None else None
    if pairs is None:
        return _error(
            request,
            404,
            "This call is no longer waiting",
            "The call that sent you to the login page was already opened, or your session ended. "
            "Check your unfinished calls.",
        )
    return _open(request, pairs)


def _unsealed(stored: str | list[list[str]] | None) -> list[tuple[str, str]] | None:
    if stored is None:
        return None
    try:
        # A list: a call that was waiting when this installation was upgraded.
        pairs = stored if isinstance(stored, list) else json.loads(unseal(stored))
        return [(name, value) for name, value in pairs]
    except CryptoError:  # sealed with a key since removed: as good as gone
        return None


def _open(request: HttpRequest, pairs: list[tuple[str, str]]) -> HttpResponse:
    user = current_user(request)  # both callers have checked the login
    if user.organization_id is None:
        return not_found(request)
    try:
        opened = open_call(user, pairs)
    except MissingReportVer:
        return _missing_report_ver(request)
    except UnknownForm:
        return not_found(request)
    # 303 to the draft's opaque address: a refresh or a lost tab never loses the call, and
    # the caller's number leaves the address bar.
    return HttpResponseRedirect(opened.report.get_absolute_url(), status=303)
