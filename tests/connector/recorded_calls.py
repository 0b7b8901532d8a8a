"""What the connector must post for each call of the real Asterisk recordings, from their plans
(data/asterisk-22.10.1/runN_calls.json): the helpline's expectations, written once for the
in-process and the end-to-end tests."""

from __future__ import annotations

import re

from tests.connector.asterisk_replay import load, plan

MARIA = "maria@helpline.example"  # mapped by her queue member name in [ami.agents]
BOB = "35"  # not mapped: his extension, which is his agent ID in Calldesk
AGENTS = {"maria": MARIA, "35": BOB}
AMI_AGENTS = {"Maria Lopez": MARIA}
LINE = "8886201111"

Post = tuple[str, ...]


def caller_number(call: dict[str, object]) -> str:
    callerid = call.get("callerid")
    if callerid is None or call.get("private"):
        return "anonymous"  # no caller ID at all, or presentation prohibited
    found = re.search(r"<([^>]*)>", str(callerid))
    number = found.group(1) if found else str(callerid)
    return "anonymous" if number in ("anonymous", "restricted") else number


def unanswered_cause(call: dict[str, object]) -> str:
    qtimeout = call.get("qtimeout")
    ring_timeout = call.get("ring_timeout_ms")
    if qtimeout and (ring_timeout is None or int(str(qtimeout)) * 1000 < int(str(ring_timeout))):
        return {19: "noAnswer", 17: "busy"}[int(str(call["qcause"]))]  # the queue gave up
    return "cancel"  # the caller gave up (or was hung up) while waiting


def rang_an_agent(run: str) -> set[str]:
    return {b.fields["Linkedid"] for b in load(run) if b.fields["Event"] == "AgentCalled"}


def expected_posts(run: str, pop_on: str) -> dict[str, list[Post]]:
    """Per Linkedid, in order: ("call", agent, ani, dnis, queue), ("answer", agent),
    ("hangup", cause, agent of a withdrawn leg or "")."""
    rang = rang_an_agent(run)
    out: dict[str, list[Post]] = {}
    for call in plan(run):
        linked = str(call["linkedid"])
        ani, dnis = caller_number(call), str(call.get("dnis") or LINE)
        answerer = str(call["answerer"])
        if answerer != "none":
            agent = AGENTS[answerer]
            first = MARIA if pop_on == "ringing" else agent  # ringall rings Maria first
            posts: list[Post] = [("call", first, ani, dnis, "helpline"), ("answer", agent)]
            if first != agent:
                posts.append(("hangup", "answeredElsewhere", first))
            posts.append(("hangup", "normalClearing", ""))
        else:
            popped = MARIA if pop_on == "ringing" and linked in rang else ""
            posts = [("call", popped, ani, dnis, "helpline"), ("hangup", unanswered_cause(call), "")]
        out[linked] = posts
    return out


def as_post(kind: str, params: dict[str, str]) -> Post:
    if kind == "call":
        assert params.get("callStart", "").endswith("Z"), params
        return ("call", params.get("agent", ""), params.get("ani", ""), params.get("dnis", ""), params.get("queue", ""))
    if kind == "answer":
        assert params.get("answeredAt", "").endswith("Z"), params
        return ("answer", params.get("agent", ""))
    assert params.get("endedAt", "").endswith("Z"), params
    return ("hangup", params.get("cause", ""), params.get("agent", ""))


def by_call(posts: list[tuple[str, dict[str, str]]]) -> dict[str, list[Post]]:
    out: dict[str, list[Post]] = {}
    for kind, params in posts:
        out.setdefault(params["callId"], []).append(as_post(kind, params))
    return out
