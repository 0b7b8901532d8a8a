"""JSON lines on standard input: one call (or hang-up) per line, e.g.
{"ani": "+15551234567", "dnis": "8886201111", "agent": "34", "callId": "abc"}
{"event": "hangup", "callId": "abc", "cause": "normalClearing"}
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable

from calldesk_connector.events import Event
from calldesk_connector.settings import Settings
from calldesk_connector.sources import BadEvent, event_from_mapping, log


def run_stdin(settings: Settings, emit: Callable[[Event], None], stop: threading.Event) -> None:
    for number, line in enumerate(sys.stdin, start=1):
        if stop.is_set():
            break
        if not line.strip():
            continue
        try:
            event = event_from_mapping(json.loads(line))
        except json.JSONDecodeError:
            log.warning("stdin line %d is not JSON; skipped", number)
            continue
        except BadEvent as exc:
            log.warning("stdin line %d skipped: %s", number, exc)
            continue
        emit(event)
