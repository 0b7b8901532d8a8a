"""What a console is reminded of besides calls: states another app finds by a query (a follow-up
that fell due), sent on the console's stream as an event of their own kind.

Nothing here keeps time: the stream asks each registered source when it connects (a console
opened, reconnected, or its serving process restarted) and again every `REMINDER_SECONDS` or at
the moment a source said something falls due, whichever comes first. Every process asks the
database, so any of them, and `calldesk maintenance`, sees the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from calldesk.push.events import Viewer

# How often an open console asks again (a follow-up scheduled already due, or reassigned).
REMINDER_SECONDS = 30.0


@dataclass(frozen=True)
class Reminder:
    data: dict[str, Any]  # what the console is sent (the whole state, not a change)
    empty: bool  # nothing to remind of: not sent to a console that was never reminded
    wake_at: datetime | None = None  # when this source next has something new to say


Source = Callable[[Viewer, datetime], Reminder]
_sources: dict[str, Source] = {}


def register(kind: str, source: Source) -> None:
    """`kind` is the server-sent event's name (`event: followups`); one source per kind."""
    _sources[kind] = source


@dataclass(frozen=True)
class Found:
    # kind → (the event to send, whether it says there is nothing to remind of)
    messages: dict[str, tuple[bytes, bool]]
    wake_at: datetime | None


def remind(viewer: Viewer) -> Found:
    """Every source's state for `viewer` now (synchronous ORM; the stream calls it through
    `channel.read`). The events carry no id, so the calls' catch-up (Last-Event-ID) is untouched."""
    now = timezone.now()
    messages: dict[str, tuple[bytes, bool]] = {}
    wakes: list[datetime] = []
    for kind, source in _sources.items():
        found = source(viewer, now)
        body = json.dumps(found.data, separators=(",", ":"))
        messages[kind] = (f"event: {kind}\ndata: {body}\n\n".encode(), found.empty)
        if found.wake_at is not None:
            wakes.append(found.wake_at)
    return Found(messages, min(wakes) if wakes else None)


class Sent:
    """What one stream has told its console, so each state is sent once, and an empty state
    only to a console that was told of something before."""

    def __init__(self) -> None:
        self.last: dict[str, bytes] = {}

    def news(self, found: Found) -> list[bytes]:
        fresh = []
        for kind, (message, empty) in found.messages.items():
            before = self.last.get(kind)
            if message == before or (empty and before is None):
                continue
            self.last[kind] = message
            fresh.append(message)
        return fresh
