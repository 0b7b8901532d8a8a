"""What `calldesk serve` runs: one ASGI application on one origin for pages and the console's push.

- `/console/events` (the live console) is served on the event loop (calldesk/push/stream.py):
  an open console holds a coroutine, not a thread.
- Every other request is Django's WSGI application, run on a pool of `WEB_THREADS` threads,
  as under a WSGI server: synchronous views keep overlapping one request's database round trips
  with another's work, and no console ever takes one of these threads.

Why this and not Django's own ASGI handler for the pages: docs/serving.md (figures).
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

from calldesk.lib.envconf import envint, envstr
from calldesk.ops.wsgi_pages import ThreadedWSGI

_wsgi = get_wsgi_application()  # sets Django up before the push modules load

from calldesk.push.stream import STREAM_PATH, stream  # noqa: E402

# Set by `calldesk serve` from --threads and --pages. "django-asgi" (Django's ASGI handler for
# the pages) is kept for measuring the alternative (docs/serving.md).
PAGES = envstr("CALLDESK_PAGES", "threads")
_pages: Any = get_asgi_application() if PAGES == "django-asgi" else ThreadedWSGI(_wsgi, envint("WEB_THREADS", 8))


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"] == STREAM_PATH:
        await stream(scope, receive, send)
    elif scope["type"] == "http":
        await _pages(scope, receive, send)
