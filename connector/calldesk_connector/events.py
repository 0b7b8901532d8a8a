"""What a source hands on: a call (the telephony URL's parameters plus its callId) or a hang-up.

Both are plain string dictionaries, the very parameters Calldesk reads (SPEC §2 and §6), so the
queue stores them as JSON and a sink sends them as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

CALL = "call"
HANGUP = "hangup"

# SPEC §6's hang-up causes.
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")


@dataclass(frozen=True)
class Event:
    kind: str  # CALL or HANGUP
    params: dict[str, str] = field(default_factory=dict)

    @property
    def call_id(self) -> str:
        return self.params.get("callId", "")


def utc_now_iso() -> str:
    """The form callStart and endedAt are sent in: ISO-8601 in UTC, whole seconds."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_call_id() -> str:
    return "cdc-" + uuid.uuid4().hex


def call(params: dict[str, str]) -> Event:
    """A call event; a call without the phone system's own ID gets one of ours, so that a
    retry after a crash is recognised by Calldesk as the same call."""
    clean = {key: value for key, value in params.items() if value is not None and str(value) != ""}
    clean = {key: str(value) for key, value in clean.items()}
    clean.setdefault("callId", new_call_id())
    clean.setdefault("callStart", utc_now_iso())
    return Event(CALL, clean)


def hangup(call_id: str, cause: str, ended_at: str = "") -> Event:
    return Event(HANGUP, {"callId": call_id, "cause": cause, "endedAt": ended_at or utc_now_iso()})
