"""Where incoming-call events come from: sip, ami, stdin (JSON lines), webhook (local HTTP)."""

from __future__ import annotations

import logging

from calldesk_connector.events import ANSWER, ANSWERED_ELSEWHERE, CALL, CAUSES, HANGUP, Event, answer, call, hangup

log = logging.getLogger("calldesk_connector")


class SourceFailed(Exception):
    """A source cannot run (its port is taken, say); it has logged why in plain words."""


class BadEvent(ValueError):
    """Its message says what is wrong, never what was sent."""


def event_from_mapping(data: object) -> Event:
    """A JSON object or form from stdin or the webhook: the telephony URL's parameters, plus
    `event` = call (the default), answer or hangup."""
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
        if cause not in CAUSES and cause != ANSWERED_ELSEWHERE:
            log.info("hangup cause %r is not one Calldesk names; sent as it is", cause[:40])
        return hangup(text["callId"], cause, text.get("endedAt", ""), text.get("agent", ""))
    if kind == ANSWER:
        if not text.get("callId"):
            raise BadEvent("an answer needs the callId of its call")
        return answer(text["callId"], text.get("agent", ""), text.get("answeredAt", ""))
    raise BadEvent("event must be call, answer or hangup")
