"""The console page (`/console/`), its report window, and what the console's script asks."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from calldesk.accounts.models import User
from calldesk.push import events
from calldesk.telephony.models import Call

# The supervisors' board starts with the calls of this period that have not ended.
BOARD_PERIOD = timedelta(hours=12)
BOARD_LIMIT = 200


def open_calls(user: User) -> list[dict[str, object]]:
    """The organization's calls that have not ended, newest first (the board as the page opens)."""
    if user.organization_id is None:
        return []
    since = timezone.now() - BOARD_PERIOD
    calls = (
        Call.objects.filter(organization_id=user.organization_id, ended_at__isnull=True, received_at__gte=since)
        .select_related("form", "report__agent")
        .order_by("-received_at")[:BOARD_LIMIT]
    )
    return [events.describe(call, events.report_of(call), call.state) for call in calls]


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(
        request,
        "push/console.html",
        {
            # The stream's first connection catches up from here (later ones send Last-Event-ID).
            "after": events.latest_event_id(),
            "board": open_calls(user) if user.is_supervisor else [],
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
