"""Posts calls to `POST /api/calls`, answers to `POST /api/calls/answer` and hang-ups to
`POST /api/calls/hangup`, each carrying the call's `callId`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from calldesk_connector import __version__
from calldesk_connector.events import ANSWER, CALL, Event
from calldesk_connector.sinks import REJECTED, RETRY, SENT, Outcome

TIMEOUT = 15.0


def request(method: str, url: str, token: str, body: dict[str, str] | None = None) -> tuple[int, bytes]:
    """(status, body); status 0 when Calldesk could not be reached at all."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"User-Agent": f"calldesk-connector/{__version__}", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) checked in settings
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError, TimeoutError):
        return 0, b""


class ApiSink:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self.last_answer: bytes = b""

    def deliver(self, event: Event) -> Outcome:
        path = {CALL: "/api/calls", ANSWER: "/api/calls/answer"}.get(event.kind, "/api/calls/hangup")
        body = {key: value for key, value in event.params.items() if value}
        status, self.last_answer = request("POST", self.base_url + path, self.token, body)
        if status in (200, 201, 202):
            return Outcome(SENT, f"Calldesk answered {status}")
        if status == 0:
            return Outcome(RETRY, "Calldesk cannot be reached")
        if status in (401, 403):
            # Kept, not dropped: once the admin fixes the token, the call still goes.
            return Outcome(RETRY, f"Calldesk refused the token ({status}): check [calldesk] token")
        if status in (408, 425, 429) or status >= 500:
            return Outcome(RETRY, f"Calldesk answered {status}")
        return Outcome(REJECTED, f"Calldesk refused it ({status})")
