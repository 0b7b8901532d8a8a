"""The AMI source's reading of calls: turns Asterisk Manager events (and, after a reconnection,
Asterisk's list of calls in progress) into call, answer and hang-up events. No sockets: the
session in `ami.py` feeds it, and tests feed it recorded events directly.

A call is its Linkedid (the Uniqueid of its first channel): every event of one call, whichever
channel it names, carries it. It is followed from the moment it waits in a queue or rings a phone:
- queues: QueueCallerJoin / QueueCallerLeave, AgentCalled (ringing), AgentConnect (answered);
- plain dialling (ring groups, extensions): DialBegin (ringing), DialEnd with DialStatus ANSWER;
- the Hangup of its first channel (and of the caller's other channels) ends it.
What it posts, whatever `pop_on` says: every call once (with the agent who answered, or with
pop_on = ringing the agent it rings first; a call nobody answered without an agent, when it ends),
its answer (who, when) and its end with a cause Calldesk names. A withheld number (presentation
prohibited, or no number at all) is sent as `anonymous`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from calldesk_connector.events import ANSWERED_ELSEWHERE, CALL, Event, answer, hangup, utc_now_iso
from calldesk_connector.settings import Settings
from calldesk_connector.sources import log

# Q.850 cause codes, as Hangup's `Cause` gives them, to the causes Calldesk names. Anything else
# (0 included: Asterisk had no cause) reads as unknown.
Q850 = {
    "1": "notFound",  # unallocated number
    "3": "notFound",  # no route to destination
    "16": "normalClearing",
    "17": "busy",
    "18": "noAnswer",  # no user responding
    "19": "noAnswer",  # no answer from user (user alerted)
    "20": "noAnswer",  # subscriber absent
    "21": "busy",  # call rejected
    "22": "forwarded",  # number changed
    "23": "forwarded",  # redirected to a new destination
    "27": "congestion",  # destination out of order
    "28": "notFound",  # invalid number format
    "31": "normalClearing",  # normal, unspecified
    "34": "congestion",  # no circuit available
    "38": "congestion",  # network out of order
    "41": "congestion",  # temporary failure
    "42": "congestion",  # switching equipment congestion
    "44": "congestion",  # requested channel not available
}
# 26, "answered elsewhere", is the cause of the legs of phones that rang while another answered:
# it says something of an agent's leg, never of how the call ended.
LEG_Q850 = {"26": ANSWERED_ELSEWHERE}
WITHHELD = {"", "<unknown>", "unknown", "anonymous", "restricted", "private", "unavailable", "withheld"}
_DEVICE = re.compile(r"^(?P<device>[^/]+/[^-;@]+(?:@[^-;]+)?)(?:[-;][0-9a-f]+)*(?:;\d)?$", re.IGNORECASE)
# Apps a caller's own channel runs while it waits for (or talks to) an agent.
CALLER_APPS = {"queue", "dial"}
FINISHED_MEMORY = 2000  # ended calls remembered, so their late events open nothing


def cause_name(code: str) -> str:
    return Q850.get(code.strip(), "unknown")


def read_block(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields


def device_of(channel: str) -> str:
    """`PJSIP/201-0000002a` -> `PJSIP/201`; `Local/201@from-queue-00000001;1` -> `Local/201@from-queue`."""
    match = _DEVICE.match(channel)
    return match.group("device") if match else channel


def withheld_presentation(value: str) -> bool:
    """`CID-CallingPres: 35 (Presentation Prohibited, Network Number)`: bits 0x60 say allowed (0),
    prohibited (0x20) or unavailable (0x40)."""
    text = value.lower()
    if "prohibited" in text or "unavailable" in text:
        return True
    number = text.split(" ", 1)[0]
    return number.isdigit() and int(number) & 0x60 in (0x20, 0x40)


class Store(Protocol):
    def load(self) -> dict[str, dict[str, Any]]: ...
    def save(self, call_id: str, state: dict[str, Any]) -> None: ...
    def drop(self, call_id: str) -> None: ...


@dataclass
class Call:
    linked: str
    start: str
    line: str = ""
    number: str = ""
    withheld: bool = False
    queue: str = ""
    queued: str = ""  # Uniqueid of the channel waiting in the queue
    in_queue: bool = False
    caller_side: list[str] = field(default_factory=list)  # Uniqueids of the caller's own channels
    dialing: list[str] = field(default_factory=list)  # phones a plain Dial rings right now
    legs: list[str] = field(default_factory=list)  # channel names of the phones rung (agents' side)
    tracked: bool = False  # it waited in a queue or rang a phone: a call Calldesk hears of
    caller_gone: bool = False  # the caller hung up while waiting
    posted_agent: str | None = None  # None: not posted yet; "": posted without an agent
    answered_by: str = ""
    hung_up: list[str] = field(default_factory=list)  # caller's channels gone
    cause: str = ""  # the Q.850 code that tells how it ended, once a caller's channel gave one

    def waiting(self) -> bool:
        return not self.answered_by and (self.in_queue or bool(self.dialing))


class CallTracker:
    """Turns AMI events (and, after a reconnection, Asterisk's list of calls in progress) into
    call, answer and hang-up events. No sockets: testable alone."""

    def __init__(self, settings: Settings, emit: Callable[[Event], None], store: Store) -> None:
        self.settings = settings
        self.emit = emit
        self.store = store
        self.calls: dict[str, Call] = {}
        for linked, state in store.load().items():
            try:
                self.calls[linked] = Call(**state)
            except TypeError:
                store.drop(linked)  # written by another version: nothing to go on
        self.finished: dict[str, None] = {}
        self.members: dict[str, str] = {}  # queue member interface -> member name
        # With the browser sink on an agent's desk, only this agent's calls open a tab.
        self.desk_agent = settings.agent if settings.sink == "browser" else ""

    # -- reading events ------------------------------------------------------------------------

    def agent_for(self, event: dict[str, str]) -> str:
        agents = self.settings.ami.agents
        interface = event.get("Interface") or device_of(event.get("DestChannel", ""))
        candidates = [interface, event.get("MemberName", ""), device_of(event.get("DestChannel", ""))]
        extension = interface.split("/", 1)[-1].split("@", 1)[0] if interface else ""
        candidates.append(extension)
        for name in candidates:
            if name and name.lower() in agents:
                return agents[name.lower()]
        # Not mapped: the extension, which Calldesk matches against users' agent IDs.
        return extension or event.get("MemberName", "")

    def handle(self, event: dict[str, str]) -> None:
        name = event.get("Event", "")
        unique = event.get("Uniqueid", "")
        linked = event.get("Linkedid") or unique
        if not linked or linked in self.finished:
            return
        call = self.calls.get(linked)
        if call is None:
            if name == "Newchannel" and unique == linked:
                call = self.calls[linked] = Call(linked, utc_now_iso(), line=_line(event))
                call.number = event.get("CallerIDNum", "")
                self.remember(call)  # a restart must know it began while we listened
                return
            if name not in ("QueueCallerJoin", "AgentCalled", "AgentConnect", "DialBegin", "DialEnd"):
                return
            # A call already going when we connected, that the list of calls in progress missed
            # (or that Asterisk would not list): its caller's presentation went unheard.
            call = self.calls[linked] = Call(linked, utc_now_iso(), line=_line(event), withheld=True)
            call.caller_side.append(linked)
        if unique == linked and linked not in call.caller_side:
            call.caller_side.append(linked)
        if name == "NewCallerid":
            if withheld_presentation(event.get("CID-CallingPres", "")) and not call.withheld:
                call.withheld = True
                if call.tracked:
                    self.remember(call)
            if unique in call.caller_side and call.number != event.get("CallerIDNum", ""):
                call.number = event.get("CallerIDNum", "")
                self.remember(call)
        elif name == "QueueCallerJoin":
            call.queue, call.queued, call.in_queue = event.get("Queue", ""), unique, True
            if unique not in call.caller_side:
                call.caller_side.append(unique)
            self.caller_number(call, event)
            self.track(call)
        elif name == "QueueCallerLeave":
            call.in_queue = False
        elif name == "AgentCalled":
            self.leg(call, event.get("DestChannel", ""))
            self.caller_number(call, event)
            call.queue = call.queue or event.get("Queue", "")
            self.track(call)
            self.rung(call, self.agent_for(event))
        elif name == "AgentConnect":
            call.in_queue = False
            self.track(call)
            self.answered(call, self.agent_for(event))
        elif name in ("DialBegin", "DialEnd"):
            if unique and unique == call.queued and (call.in_queue or name == "DialEnd"):
                return  # app_queue dials its members itself; its Agent events name them
            destination = event.get("DestChannel", "")
            if not destination or event.get("Channel", "") in call.legs:
                # A phone's own dialling (a queue member `Local/201@from-queue` dials
                # `PJSIP/201`): still that agent's leg, not the caller's.
                self.leg(call, destination)
                return
            if name == "DialBegin":
                self.leg(call, destination)
                if unique not in call.caller_side:
                    call.caller_side.append(unique)
                call.dialing.append(destination)
                self.caller_number(call, event)
                self.track(call)
                self.rung(call, self.agent_for(event))
            else:
                if destination in call.dialing:
                    call.dialing.remove(destination)
                if event.get("DialStatus") == "ANSWER":
                    self.answered(call, self.agent_for(event))
        elif name in ("HangupRequest", "SoftHangupRequest", "Hangup"):
            if unique not in call.caller_side:
                return  # an agent's leg: the call goes on
            if name != "SoftHangupRequest" and call.waiting() and not call.caller_gone:
                call.caller_gone = True  # the caller gave up before anyone answered
                self.remember(call)
            if name == "Hangup":
                self.caller_hung_up(call, unique, event.get("Cause", ""))

    def caller_hung_up(self, call: Call, unique: str, code: str) -> None:
        """The call ends when its first channel and every other channel of the caller's are gone.
        Its cause is the first channel's, or, when that one gave none (0: a caller who hung up
        first often leaves it so), the one the caller's other channel gave."""
        if unique not in call.hung_up:
            call.hung_up.append(unique)
        if code not in ("", "0") and (unique == call.linked or not call.cause):
            call.cause = code
        if call.linked in call.hung_up and all(u in call.hung_up for u in call.caller_side):
            self.ended(call, call.cause)
        else:
            self.remember(call)

    def caller_number(self, call: Call, event: dict[str, str]) -> None:
        # Queue and Dial events describe the caller's channel: its number is the caller's.
        number = event.get("CallerIDNum", "")
        if number and (number != "<unknown>" or not call.number):
            call.number = number

    def leg(self, call: Call, channel: str) -> None:
        """A phone rung for the call; a Local channel's other half (`;2`, which runs the dialplan
        that dials the real phone) is the same leg."""
        if not channel:
            return
        names = [channel]
        if channel.startswith("Local/") and channel.endswith(";1"):
            names.append(channel[:-2] + ";2")
        call.legs.extend(name for name in names if name not in call.legs)

    def track(self, call: Call) -> None:
        if not call.tracked:
            call.tracked = True
            self.remember(call)

    def remember(self, call: Call) -> None:
        self.store.save(call.linked, asdict(call))

    # -- what is posted ------------------------------------------------------------------------

    def rung(self, call: Call, agent: str) -> None:
        if self.settings.ami.pop_on != "ringing" or call.posted_agent is not None or call.answered_by:
            return
        if self.desk_agent and agent != self.desk_agent:
            return
        self.post(call, agent)

    def answered(self, call: Call, agent: str) -> None:
        if call.answered_by:
            # A second answer is a transfer: the draft stays with whoever answered first.
            return
        call.answered_by = agent
        call.in_queue = False
        call.dialing = []
        if call.posted_agent is None:
            self.post(call, agent)
        self.emit(answer(call.linked, agent))
        if call.posted_agent and call.posted_agent != agent:
            # Popped for a phone that rang while another answered: that agent's draft is withdrawn.
            self.emit(hangup(call.linked, ANSWERED_ELSEWHERE, agent=call.posted_agent))
        self.remember(call)

    def post(self, call: Call, agent: str) -> None:
        number = call.number.strip()
        params = {
            "callId": call.linked,
            "callStart": call.start,
            "ani": "anonymous" if call.withheld or number.lower() in WITHHELD else number,
            "dnis": call.line,
            "agent": agent,  # empty: nobody took it (and no default agent is added)
        }
        if call.queue:
            params["queue"] = call.queue
        call.posted_agent = agent
        self.emit(Event(CALL, params))
        self.remember(call)

    def ended(self, call: Call, code: str, gone_unseen: bool = False) -> None:
        self.calls.pop(call.linked, None)
        self.finished[call.linked] = None
        if len(self.finished) > FINISHED_MEMORY:
            self.finished.pop(next(iter(self.finished)))
        if not call.tracked:
            self.store.drop(call.linked)
            return  # never queued nor rang a phone: not a call Calldesk hears of
        cause = "unknown" if gone_unseen else cause_name(code)
        if not call.answered_by and not gone_unseen:
            if call.caller_gone:
                cause = "cancel"
            elif cause == "normalClearing":
                cause = "noAnswer"  # the phone system gave up on it: nobody answered
        if call.posted_agent is None:
            self.post(call, "")
        self.emit(hangup(call.linked, cause, utc_now_iso()))
        self.store.drop(call.linked)

    # -- after a (re)connection ----------------------------------------------------------------

    def resync(
        self,
        channels: list[dict[str, str]],
        entries: list[dict[str, str]],
        members: list[dict[str, str]] | None = None,
        presentations: dict[str, str] | None = None,
        held: list[dict[str, str]] | None = None,
    ) -> None:
        """Asterisk's calls in progress (CoreShowChannel and QueueEntry events) against ours: a call
        we know that is gone ended while we could not hear; a call we did not know is followed,
        and what it did meanwhile (rang an agent, was answered) is posted. `held`: the events that
        came after the list began, applied next; a call gone because its caller hung up among them
        is ended by that event, with its cause."""
        hanging_up = {e.get("Uniqueid", "") for e in held or [] if e.get("Event") == "Hangup"}
        groups: dict[str, list[dict[str, str]]] = {}
        for channel in channels:
            linked = channel.get("Linkedid") or channel.get("Uniqueid", "")
            if linked:
                groups.setdefault(linked, []).append(channel)
        present = {linked for linked, group in groups.items() if any(c.get("Uniqueid") == linked for c in group)}
        listed = {channel.get("Uniqueid", "") for channel in channels}
        for linked, call in list(self.calls.items()):
            if linked in present or hanging_up.intersection(call.caller_side):
                continue
            if listed.intersection(call.caller_side):
                # Its first channel is gone but another of the caller's is still up (a Local
                # channel's ;1 hangs up a moment before its ;2, which is in the queue): that is
                # the first channel's Hangup, unheard and with no cause; the call goes on, and
                # ends with the other channel's Hangup and cause.
                self.caller_hung_up(call, linked, "")
                continue
            heard = call.linked in call.hung_up  # only the caller's last channel went unheard
            if not heard:
                log.info("AMI: a call ended while the connector could not hear it")
            self.ended(call, call.cause, gone_unseen=not heard)
        queued = {entry.get("Uniqueid", ""): entry for entry in entries}
        # Queue members (QueueStatus's QueueMember: Location is the interface, Name the member's
        # name), so that a phone found ringing or talking maps to its agent as AgentCalled would.
        self.members = {m.get("Location", ""): m.get("Name", "") for m in members or [] if m.get("Location")}
        for linked in sorted(present, key=_age):
            if linked in self.finished:
                continue
            self.catch_up(linked, groups[linked], queued, presentations or {})

    def unheard_channels(self, channels: list[dict[str, str]]) -> list[str]:
        """The channels of the calls in progress this tracker knows nothing of."""
        return [
            c.get("Channel", "")
            for c in channels
            if (c.get("Linkedid") or c.get("Uniqueid", "")) not in self.calls and c.get("Channel")
        ]

    def catch_up(
        self,
        linked: str,
        group: list[dict[str, str]],
        queued: dict[str, dict[str, str]],
        presentations: dict[str, str],
    ) -> None:
        first = next(c for c in group if c.get("Uniqueid") == linked)
        call = self.calls.get(linked)
        if call is None:
            started = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=_seconds(first))
            start = started.isoformat().replace("+00:00", "Z")
            call = self.calls[linked] = Call(linked, start, line=_line(first), number=first.get("CallerIDNum", ""))
            call.caller_side.append(linked)
            # Whether the caller withheld the number was said by events we did not hear: each
            # channel's CALLERID(pres) says it now; any channel not answered, never risk it.
            call.withheld = any(_withheld_pres(presentations.get(c.get("Channel", ""))) for c in group)
        alive = {c.get("Uniqueid", "") for c in group}
        call.caller_side = [u for u in call.caller_side if u in alive]  # gone while we could not hear
        callers = [c for c in group if c.get("Application", "").lower() in CALLER_APPS]
        for channel in callers:
            if channel.get("Uniqueid", "") not in call.caller_side:
                call.caller_side.append(channel.get("Uniqueid", ""))
            if channel.get("Application", "").lower() == "queue" and not call.queue:
                call.queue = channel.get("ApplicationData", "").split(",", 1)[0].strip()
        names = {c.get("Channel", "") for c in group}
        call.dialing = [name for name in call.dialing if name in names]
        call.in_queue = False
        for channel in group:
            entry = queued.get(channel.get("Uniqueid", ""))
            if entry is not None:
                call.queue, call.queued, call.in_queue = entry.get("Queue", ""), channel.get("Uniqueid", ""), True
                self.caller_number(call, entry)
        if callers or call.in_queue:
            self.track(call)
        if not call.tracked:
            return
        caller_ids = set(call.caller_side)
        bridges = {c.get("BridgeId", "") for c in group if c.get("Uniqueid") in caller_ids} - {""}
        others = sorted(
            (c for c in group if c.get("Uniqueid") not in caller_ids), key=lambda c: _age(c.get("Uniqueid", ""))
        )
        talking = [c for c in others if c.get("BridgeId") in bridges and c.get("ChannelStateDesc") == "Up"]
        if talking:
            self.answered(call, self.agent_for(self.phone(talking[0])))
            return
        ringing = [c for c in others if c.get("ChannelStateDesc") in ("Ringing", "Ring")]
        for channel in ringing:
            self.rung(call, self.agent_for(self.phone(channel)))
        self.remember(call)

    def phone(self, channel: dict[str, str]) -> dict[str, str]:
        """An agent's channel described as AgentCalled would: its device, and the queue member it is."""
        name = channel.get("Channel", "")
        device = device_of(name).lower()
        for interface, member in self.members.items():
            lower = interface.lower()
            if lower == device or lower.startswith(device + "/"):
                return {"DestChannel": name, "Interface": interface, "MemberName": member}
        return {"DestChannel": name}


def _withheld_pres(value: str | None) -> bool:
    """CALLERID(pres) as Asterisk names it: allowed_not_screened, ..., prohib, unavailable."""
    return value is None or not value.strip().lower().startswith("allowed")


def _seconds(channel: dict[str, str]) -> int:
    """CoreShowChannel's Duration: `00:01:05` (or, from some versions, whole seconds)."""
    parts = channel.get("Duration", "").split(":")
    if not 1 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
        return 0
    total = 0
    for part in parts:
        total = total * 60 + int(part)
    return total


def _line(event: dict[str, str]) -> str:
    exten = event.get("Exten", "")
    return "" if exten in ("s", "") else exten


def _age(unique: str) -> tuple[float, float]:
    """Uniqueids are `<epoch>.<sequence>`: oldest first."""
    head, _, tail = unique.partition(".")
    try:
        return float(head), float(tail or 0)
    except ValueError:
        return 0.0, 0.0
