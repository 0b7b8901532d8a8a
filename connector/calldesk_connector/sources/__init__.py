"""Where incoming-call events come from: sip, ami, stdin (JSON lines), webhook (local HTTP)."""

from __future__ import annotations

import logging

from calldesk_connector.events import CALL, CAUSES, HANGUP, Event, call, hangup

log = logging.getLogger("calldesk_connector")


class BadEvent(ValueError):
    """Its message says what is wrong, never what was sent."""


def event_from_mapping(data: object) -> Event:
    """A JSON object or form from stdin or the webhook: the telephony URL's parameters, plus
    `event` = call (the default) or hangup."""
    if not isinstance(data, dict):
        raise BadEvent("not a JSON object")
    params = {str(key): value for key, value in data.items()}
    for key, value in params.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise BadEvent(f"the value of {key[:40]!r} is not a string or a number")
    kind = str(params.pop("event", CALL)).lower()
    text = {key: str(value) for key, value in params.items()}
    if kind == CALL:
        return call(text)
    if kind == HANGUP:
        if not text.get("callId"):
            raise BadEvent("a hangup needs the callId of its call")
        cause = text.get("cause", "normalClearing")
        if cause not in CAUSES:
            log.info("hangup cause %r is not one of SPEC's; sent as it is", cause[:40])
        return hangup(text["callId"], cause, text.get("endedAt", ""))
    raise BadEvent("event must be call or hangup")
