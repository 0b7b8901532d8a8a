"""The console page (`/console/`), its report window, and what the console's script asks."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from calldesk.accounts.models import User
from calldesk.push import events
from calldesk.push.models import PushEvent
from calldesk.reports.models import Status
from calldesk.telephony.ending import live_calls, stale_after
from calldesk.telephony.models import Call

BOARD_LIMIT = 200
# A specialist's console reopens with at most this many waiting calls.
MINE_LIMIT = 50


def _unfinished() -> Q:
    """Calls whose report is not submitted, closed or abandoned yet (or that have none)."""
    return Q(report__isnull=True) | Q(report__status=Status.DRAFT)


def _described(calls: QuerySet[Call], limit: int) -> list[dict[str, object]]:
    found = calls.select_related("form", "report__agent", "report__author").order_by("-received_at")[:limit]
    return [events.describe(call, events.report_of(call), call.state) for call in found]


def open_calls(user: User) -> list[dict[str, object]]:
    """The organization's live calls, newest first (the board as the page opens): not ended, not
    past the stale limit, and their report not finished (a call a URL opened never hangs up)."""
    if user.organization_id is None:
        return []
    calls = Call.objects.filter(live_calls(), _unfinished(), organization_id=user.organization_id)
    return _described(calls, BOARD_LIMIT)


def waiting_calls(user: User) -> list[dict[str, object]]:
    """The calls pushed to `user`'s console that still wait for them: live, and their
    draft still theirs and not submitted or closed. Shown when the console opens or reloads."""
    if user.organization_id is None:
        return []
    pushed = PushEvent.objects.filter(pop_for=user, organization_id=user.organization_id).values("call_id")
    calls = Call.objects.filter(live_calls(), pk__in=pushed, report__status=Status.DRAFT, report__author=user)
    return _described(calls, MINE_LIMIT)


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    # The stream's first connection catches up from here (later ones send Last-Event-ID).
    after = events.latest_event_id()
    # Read before the board and the list, so that every event it names is shown by them.
    shown = events.shown_ids(events.Viewer.of(user), after) if user.organization_id is not None else []
    return render(
        request,
        "push/console.html",
        {
            "after": after,
            "shown": shown,
            "board": open_calls(user) if user.is_supervisor else [],
            "mine": waiting_calls(user),
            "stale_seconds": int(stale_after().total_seconds()),
            "stale_hours": settings.CALL_STALE_HOURS,
        },
    )


@login_required
@require_GET
def report_window(request: HttpRequest) -> HttpResponse:
    """The window the console opens once (on a click, so no popup blocker stops it) and then
    points at each pushed call's draft."""
    return render(request, "push/report_window.html")


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """Asked by the console when its stream was refused: still logged in (try again) or not.
    The console sends it as a background request, so it never extends the idle timeout."""
    logged_in = request.user.is_authenticated
    return JsonResponse({"loggedIn": logged_in}, status=200 if logged_in else 401)


@require_GET
def stream_unavailable(request: HttpRequest) -> HttpResponse:
    """Reached only when pages are served without calldesk/asgi.py (runserver, --interface wsgi):
    the stream needs the event loop that `calldesk serve` runs."""
    return HttpResponse(
        "The live console needs `calldesk serve` (its default ASGI interface).", status=503, content_type="text/plain"
    )
