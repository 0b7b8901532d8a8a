"""What a source hands on: a call (the telephony URL's parameters plus its callId), its answer
(who answered, when) or its hang-up (how it ended).

All three are plain string dictionaries, the very parameters Calldesk's telephony URL and API
read, so the queue stores them as JSON and a sink sends them as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

CALL = "call"
ANSWER = "answer"
HANGUP = "hangup"

# The hang-up causes Calldesk names. `cancel`: the caller hung up before anyone answered;
# `unknown`: the phone system gave no cause (Q.850 0) or one that says nothing to a supervisor.
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded", "unknown")
# Not the call's end: one agent's leg of a call that rang several phones, withdrawn because another
# phone answered. Sent with that leg's `agent`, so Calldesk withdraws that agent's draft only.
ANSWERED_ELSEWHERE = "answeredElsewhere"


@dataclass(frozen=True)
class Event:
    kind: str  # CALL, ANSWER or HANGUP
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


def hangup(call_id: str, cause: str, ended_at: str = "", agent: str = "") -> Event:
    """The call's end; with `agent` and the cause answeredElsewhere, only that agent's leg."""
    params = {"callId": call_id, "cause": cause, "endedAt": ended_at or utc_now_iso()}
    if agent:
        params["agent"] = agent
    return Event(HANGUP, params)


def answer(call_id: str, agent: str, answered_at: str = "") -> Event:
    """Who answered the call (its draft ends with them) and when."""
    params = {"callId": call_id, "answeredAt": answered_at or utc_now_iso()}
    if agent:
        params["agent"] = agent
    return Event(ANSWER, params)
