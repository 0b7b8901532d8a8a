"""`GET /console/events`: the console's server-sent event stream, as a plain ASGI application.

It runs on the serving process's event loop, so an open console costs a coroutine and a socket,
never one of the threads that run pages (docs/serving.md). It reads the session cookie itself
(the same session, the same idle timeout as the pages) and sends:

- the events the console missed after `Last-Event-ID` (or `?after=`, the id the console page
  was rendered at), from the push log, page after page however many they are (up to 24 hours);
- then every new event for this viewer as it happens, and a comment every `HEARTBEAT_SECONDS`;
- and, besides calls, what other apps remind this viewer of (a follow-up that fell due), asked
  from the database when the stream opens and again when it may have changed (push.reminders).

The stream ends after `STREAM_SECONDS`; the browser reconnects with `Last-Event-ID`, and the
session is checked again (a logged-out or timed-out console stops receiving within that time).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib.auth import get_user
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from calldesk.accounts.middleware import LAST_ACTIVITY
from calldesk.accounts.secondfactor import lacks_second_factor
from calldesk.lib.middleware import CONTENT_SECURITY_POLICY
from calldesk.lib.unavailable import is_database_unavailable
from calldesk.push import events, reminders
from calldesk.push.channel import read
from calldesk.push.events import Viewer
from calldesk.push.hub import hub

logger = logging.getLogger(__name__)

STREAM_PATH = "/console/events"
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0
# How long the browser waits before reconnecting (the `retry:` field).
RETRY_MS = 1000

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _viewer_from_cookie(session_key: str) -> Viewer | None:
    """The logged-in, not idle-timed-out user of this session, or None (synchronous ORM)."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    if not user.is_authenticated or user.organization_id is None:
        return None
    if lacks_second_factor(store, user):
        return None  # the pages would ask this session for a code first: so does the console
    last = store.get(LAST_ACTIVITY)
    minutes = user.organization.idle_timeout_minutes if user.organization is not None else 30
    if last is not None and time.time() - float(last) > minutes * 60:
        return None  # the pages would log this session out: the console stops too
    return Viewer.of(user)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _last_event_id(scope: Scope) -> int | None:
    sent = _header(scope, b"last-event-id") or parse_qs(scope.get("query_string", b"").decode()).get("after", [""])[0]
    return int(sent) if sent.isdigit() and len(sent) < 19 else None


async def _answer(send: Send, status: int, text: str) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]
    if status == 503:  # a passing state, as the pages' 503 says; the console tries again by itself
        headers.append((b"retry-after", str(max(RETRY_MS // 1000, 1)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode()})


async def stream(scope: Scope, receive: Receive, send: Send) -> None:
    host, _ = split_domain_port(_header(scope, b"host"))
    if not validate_host(host, settings.ALLOWED_HOSTS):
        return await _answer(send, 400, "Bad request (unknown host).")
    if scope["method"] != "GET":
        return await _answer(send, 405, "Only GET.")
    cookie = SimpleCookie(_header(scope, b"cookie"))
    session = cookie.get(settings.SESSION_COOKIE_NAME)
    try:
        viewer = await read(_viewer_from_cookie, session.value) if session else None
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        return await _answer(send, 503, "The database cannot be reached right now; the console will try again.")
    if viewer is None:
        return await _answer(send, 401, "Log in to receive calls.")

    console = hub()
    try:
        subscription = await console.subscribe(viewer)
    except TimeoutError:
        return await _answer(send, 503, "Live calls are not available right now; the console will try again.")
    disconnected = asyncio.ensure_future(_until_disconnect(receive))
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": f"retry: {RETRY_MS}\n\n".encode(), "more_body": True})
        last = _last_event_id(scope)
        if last is None:
            last = await read(events.latest_event_id)
        # From a few seconds before `last`: an event with a lower id may have committed since the
        # console read `last` (events.LATE_COMMIT). The console skips the ids it already has;
        # `last` itself it certainly has.
        after = await read(events.catch_up_start, last)
        replayed: set[int] = {last}
        while True:
            # One page at a time, until a short one: a console further behind than a page (back
            # after Redis or the network was away a while) gets every event it missed, not the
            # first page and then the live ones past a gap its Last-Event-ID would then skip.
            missed, more_after = await read(events.catch_up_page, viewer, after)
            for event in missed:
                if event.id not in replayed:
                    await send({"type": "http.response.body", "body": event.message(viewer), "more_body": True})
            replayed.update(event.id for event in missed)
            if more_after is None:
                break
            after = more_after
        sent = reminders.Sent()

        async def remind() -> float:
            """Sends what changed in the console's reminders; answers the seconds until the next ask."""
            try:
                found = await read(reminders.remind, viewer)
            except Exception:  # the database is away for a moment: the calls' stream goes on
                logger.exception("push: asking for the console's reminders failed; asking again later")
                return reminders.REMINDER_SECONDS
            for message in sent.news(found):
                await send({"type": "http.response.body", "body": message, "more_body": True})
            wait = reminders.REMINDER_SECONDS
            if found.wake_at is not None:
                wait = min(wait, max((found.wake_at - timezone.now()).total_seconds(), 0.0) + 0.05)
            return wait

        await _relay(subscription.queue, subscription.behind, disconnected, send, viewer, replayed, remind)
        if not disconnected.done():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        pass  # the browser went away mid-send
    finally:
        console.unsubscribe(subscription)
        disconnected.cancel()


async def _relay(
    queue: asyncio.Queue[events.Pushed],
    behind: asyncio.Event,
    disconnected: asyncio.Future[None],
    send: Send,
    viewer: Viewer,
    replayed: set[int],
    remind: Callable[[], Awaitable[float]],
) -> None:
    """Sends each event of `queue` until the browser goes, the stream's time is up, or the hub
    says this console is `behind` (it then reconnects and catches up from the push log); asks
    `remind` at the start and whenever the time it answered has passed."""
    ends = time.monotonic() + STREAM_SECONDS
    next_reminder = time.monotonic()
    fell_behind = asyncio.ensure_future(behind.wait())
    try:
        while not disconnected.done() and not behind.is_set():
            now = time.monotonic()
            left = ends - now
            if left <= 0:
                return
            if now >= next_reminder:
                next_reminder = now + await remind()
            waiting = asyncio.ensure_future(queue.get())
            either: set[asyncio.Future[Any]] = {waiting, disconnected, fell_behind}
            timeout = max(min(HEARTBEAT_SECONDS, left, next_reminder - time.monotonic()), 0.0)
            done, _ = await asyncio.wait(either, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if waiting in done:
                event = waiting.result()
                if event.id not in replayed:
                    await send({"type": "http.response.body", "body": event.message(viewer), "more_body": True})
                continue
            waiting.cancel()
            if not done and time.monotonic() >= next_reminder:
                continue  # woken to ask for reminders, not because the stream was quiet
            if not done:  # quiet for HEARTBEAT_SECONDS: keep proxies from closing the stream
                await send({"type": "http.response.body", "body": b": still here\n\n", "more_body": True})
    finally:
        fell_behind.cancel()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
