"""The Asterisk Manager Interface source, for a connector running next to Asterisk or FreePBX.

It logs in, follows the events that say which agent a call rings or reaches, and posts the call
with the agent who answered (or, with pop_on = ringing, the agent it rings first):
- queues: AgentCalled (ringing) and AgentConnect (answered), by Interface or MemberName;
- plain dialling (ring groups, extensions): DialBegin (ringing) and DialEnd with DialStatus
  ANSWER (answered), by the dialled channel's device (`PJSIP/201-0000002a` -> `PJSIP/201`).
The call's Linkedid (the Uniqueid of its first channel) is its callId, so every event of one call,
whichever channel it names, is the same call; the first channel's Hangup ends it, with its Q.850
cause mapped to SPEC §6's causes. A dropped connection is retried with a doubling pause.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable

from calldesk_connector.events import Event, call, hangup, utc_now_iso
from calldesk_connector.settings import Settings
from calldesk_connector.sources import log

# Q.850 cause codes (as Asterisk's Hangup event gives them in `Cause`) -> SPEC §6.
Q850 = {
    "1": "notFound",  # unallocated number
    "3": "notFound",  # no route to destination
    "16": "normalClearing",
    "17": "busy",
    "18": "noAnswer",  # no user responding
    "19": "noAnswer",  # no answer from user
    "20": "noAnswer",  # subscriber absent
    "21": "busy",  # call rejected
    "22": "forwarded",  # number changed
    "23": "forwarded",  # redirected to a new destination
    "27": "congestion",  # destination out of order
    "34": "congestion",  # no circuit available
    "38": "congestion",  # network out of order
    "41": "congestion",  # temporary failure
    "42": "congestion",  # switching equipment congestion
    "44": "congestion",  # requested channel not available
}
WITHHELD = {"", "<unknown>", "unknown", "anonymous", "restricted", "private"}
_DEVICE = re.compile(r"^(?P<device>[^/]+/[^-;@]+(?:@[^-;]+)?)(?:[-;][0-9a-f]+)?$", re.IGNORECASE)


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


class CallTracker:
    """Turns a stream of AMI events into call and hang-up events. Pure: no sockets, testable alone."""

    def __init__(self, settings: Settings, emit: Callable[[Event], None]) -> None:
        self.settings = settings
        self.emit = emit
        self.started: dict[str, tuple[str, str]] = {}  # Linkedid -> (callStart, line dialled)
        self.popped: dict[str, float] = {}  # Linkedid -> when, against a second pop
        self.connected: set[str] = set()
        self.queued: set[str] = set()

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
        linked = event.get("Linkedid") or event.get("Uniqueid", "")
        if not linked:
            return
        pop_on = self.settings.ami.pop_on
        if name == "Newchannel" and event.get("Uniqueid") == linked:
            self.started[linked] = (utc_now_iso(), event.get("Exten", ""))
        elif name in ("QueueCallerJoin", "AgentCalled") and linked not in self.queued:
            # app_queue raises Dial events too; for a queue call its Agent events name the member.
            self.queued.add(linked)
            self.handle(event)
        elif name in ("DialBegin", "DialEnd") and linked in self.queued:
            return
        elif name == "AgentCalled" and pop_on == "ringing":
            self.pop(linked, event)
        elif name == "AgentConnect":
            self.connected.add(linked)
            if pop_on == "answered":
                self.pop(linked, event)
        elif name == "DialBegin" and pop_on == "ringing" and event.get("DestChannel"):
            self.pop(linked, event)
        elif name == "DialEnd" and event.get("DialStatus") == "ANSWER":
            self.connected.add(linked)
            if pop_on == "answered":
                self.pop(linked, event)
        elif name == "Hangup" and event.get("Uniqueid") == linked:
            self.ended(linked, event)

    def pop(self, linked: str, event: dict[str, str]) -> None:
        if linked in self.popped:
            return
        self.popped[linked] = time.monotonic()
        started, line = self.started.get(linked, (utc_now_iso(), ""))
        caller = event.get("CallerIDNum", "").strip()
        params = {
            "callId": linked,
            "callStart": started,
            "ani": "anonymous" if caller.lower() in WITHHELD else caller,
            "dnis": line if line not in ("", "s") else "",
            "agent": self.agent_for(event),
        }
        if event.get("Queue"):
            params["queue"] = event["Queue"]
        self.emit(call(params))

    def ended(self, linked: str, event: dict[str, str]) -> None:
        self.started.pop(linked, None)
        self.queued.discard(linked)
        if self.popped.pop(linked, None) is None:
            self.connected.discard(linked)
            return  # a call that never reached an agent we know of: nothing was posted
        cause = Q850.get(event.get("Cause", ""), event.get("Cause", "") or "normalClearing")
        if linked not in self.connected and cause == "normalClearing":
            cause = "cancel"  # the caller hung up while the agent's phone rang
        self.connected.discard(linked)
        self.emit(hangup(linked, cause, utc_now_iso()))
        if len(self.started) > 10000:  # calls whose Hangup was missed while disconnected
            self.started.clear()


class LoginRefused(Exception):
    pass


async def session(settings: Settings, tracker: CallTracker, stop: threading.Event) -> None:
    ami = settings.ami
    reader, writer = await asyncio.open_connection(ami.host, ami.port)
    try:
        banner = await asyncio.wait_for(reader.readline(), 10)
        if not banner.startswith(b"Asterisk Call Manager"):
            raise ConnectionError("this is not an Asterisk Manager Interface")
        writer.write(
            f"Action: Login\r\nActionID: calldesk-1\r\nUsername: {ami.username}\r\nSecret: {ami.secret}\r\n"
            "Events: call,agent\r\n\r\n".encode()
        )
        await writer.drain()
        logged_in = False
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 1.0)
            except asyncio.TimeoutError:
                continue
            block = read_block(raw.decode("utf-8", errors="replace"))
            if not logged_in and block.get("ActionID") == "calldesk-1":
                if block.get("Response") != "Success":
                    raise LoginRefused
                logged_in = True
                log.info("AMI logged in to %s:%d", ami.host, ami.port)
                continue
            if "Event" in block:
                tracker.handle(block)
    finally:
        writer.close()


async def follow(settings: Settings, emit: Callable[[Event], None], stop: threading.Event) -> None:
    tracker = CallTracker(settings, emit)
    pause = 1.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            await session(settings, tracker, stop)
        except LoginRefused:
            log.error("Asterisk refused the login: check [ami] username and secret (and its manager.conf permit)")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError) as exc:
            log.warning(
                "AMI connection to %s:%d lost or refused (%s)", settings.ami.host, settings.ami.port, type(exc).__name__
            )
        if stop.is_set():
            break
        if time.monotonic() - started > 60:
            pause = 1.0  # it was up for a while: this is a new outage
        log.info("AMI: connecting again in %.0f s", pause)
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline and not stop.is_set():
            await asyncio.sleep(0.1)
        pause = min(pause * 2, settings.ami.reconnect_max)


def run_ami(settings: Settings, emit: Callable[[Event], None], stop: threading.Event) -> None:
    asyncio.run(follow(settings, emit, stop))
