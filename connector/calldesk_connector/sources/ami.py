"""The Asterisk Manager Interface source, for a connector running next to Asterisk or FreePBX.

It logs in, asks which calls are in progress (CoreShowChannels, QueueStatus) and follows the
events; `ami_calls.CallTracker` turns both into what is posted. Every (re)connection catches up:
what happened while it could not hear is posted, and a call it had seen that is gone is ended
with the cause `unknown`. The calls it follows are kept on disk, so a restarted connector does
the same. A dropped connection is retried with a doubling pause.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from calldesk_connector.events import Event
from calldesk_connector.settings import Settings
from calldesk_connector.sources import SourceFailed, log
from calldesk_connector.sources.ami_calls import CallTracker, Store, read_block

# An Asterisk that does not answer CoreShowChannels in this time is followed without it.
ACTION_TIMEOUT = 10.0
READ_CHECK_SECONDS = 3.0
CALL_CLASS = {"Newchannel", "Hangup", "HangupRequest", "Newstate", "NewCallerid", "DialBegin", "DialEnd"}
AGENT_CLASS = {
    "QueueCallerJoin",
    "QueueCallerLeave",
    "AgentCalled",
    "AgentConnect",
    "AgentComplete",
}


class LoginRefused(Exception):
    pass


class AmiConnection:
    """One logged-in AMI session: writes actions, reads blocks."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def send(self, **fields: str) -> None:
        self.writer.write(("".join(f"{key}: {value}\r\n" for key, value in fields.items()) + "\r\n").encode())
        await self.writer.drain()

    async def block(self, timeout: float) -> dict[str, str] | None:
        try:
            raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        except asyncio.TimeoutError:
            return None
        return read_block(raw.decode("utf-8", errors="replace"))


async def login(settings: Settings) -> tuple[AmiConnection, dict[str, str]]:
    """Connects and logs in; the Login response (its Message says which permissions failed)."""
    ami = settings.ami
    reader, writer = await asyncio.wait_for(asyncio.open_connection(ami.host, ami.port), 10)
    connection = AmiConnection(reader, writer)
    banner = await asyncio.wait_for(reader.readline(), 10)
    if not banner.startswith(b"Asterisk Call Manager"):
        writer.close()
        raise ConnectionError("this is not an Asterisk Manager Interface")
    await connection.send(
        Action="Login", ActionID="calldesk-login", Username=ami.username, Secret=ami.secret, Events="call,agent"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        block = await connection.block(1.0)
        if block is not None and block.get("ActionID") == "calldesk-login":
            if block.get("Response") != "Success":
                writer.close()
                raise LoginRefused(block.get("Message", ""))
            return connection, block
    writer.close()
    raise asyncio.TimeoutError


class Resync:
    """Collects the answers to CoreShowChannels and QueueStatus. Live events that come before
    the list begins are older than it and apply at once (the calls they start are then known,
    not caught up from the list); those that come after it began wait, so they apply after the
    list they may follow."""

    def __init__(self) -> None:
        self.channels: list[dict[str, str]] = []
        self.entries: list[dict[str, str]] = []
        self.members: list[dict[str, str]] = []
        self.pending = {"calldesk-channels", "calldesk-queues"}
        self.usable = True
        self.listing = False  # CoreShowChannels' answer has begun
        self.listed = False  # CoreShowChannels' list is complete
        self.presentations: dict[str, str] = {}  # channel name -> CALLERID(pres), for calls first heard now
        self.asked: dict[str, str] = {}  # Getvar's ActionID -> channel name
        self.held: list[dict[str, str]] = []
        self.started = time.monotonic()

    def take(self, block: dict[str, str]) -> bool:
        """True when the block belonged to the resync."""
        action = block.get("ActionID", "")
        if action not in self.pending:
            return False
        self.listing = self.listing or action == "calldesk-channels"
        if action in self.asked:
            if block.get("Response") == "Success":
                self.presentations[self.asked[action]] = block.get("Value", "")
            self.pending.discard(action)
        elif block.get("Response") == "Error":
            self.pending.discard(action)
            if action == "calldesk-channels":
                self.usable = False
                log.warning(
                    "AMI: Asterisk refused CoreShowChannels (%s): calls that changed while the connector "
                    "was away cannot be caught up; give the AMI user `write = reporting`",
                    block.get("Message", "no reason given")[:80],
                )
        elif block.get("Event") == "CoreShowChannel":
            self.channels.append(block)
        elif block.get("Event") == "QueueEntry":
            self.entries.append(block)
        elif block.get("Event") == "QueueMember":
            self.members.append(block)
        elif block.get("Event") in ("CoreShowChannelsComplete", "QueueStatusComplete"):
            self.pending.discard(action)
            self.listed = self.listed or action == "calldesk-channels"
        return True

    async def ask_presentations(self, connection: AmiConnection, channels: list[str]) -> None:
        """Whether callers of calls first heard now withheld their number: no event says it any
        more, so each of their channels is asked (Getvar, allowed by `write = reporting`)."""
        for number, channel in enumerate(channels):
            action = f"calldesk-pres-{number}"
            self.asked[action] = channel
            self.pending.add(action)
            await connection.send(Action="Getvar", ActionID=action, Channel=channel, Variable="CALLERID(pres)")

    @property
    def done(self) -> bool:
        return not self.pending or time.monotonic() - self.started > ACTION_TIMEOUT


async def session(settings: Settings, tracker: CallTracker, stop: threading.Event) -> None:
    connection, _ = await login(settings)
    ami = settings.ami
    try:
        log.info("AMI logged in to %s:%d", ami.host, ami.port)
        await connection.send(Action="CoreShowChannels", ActionID="calldesk-channels")
        await connection.send(Action="QueueStatus", ActionID="calldesk-queues")
        resync: Resync | None = Resync()
        while not stop.is_set():
            block = await connection.block(1.0)
            if resync is not None:
                if block is not None and resync.take(block):
                    block = None
                    if resync.listed and not resync.asked and resync.usable:
                        await resync.ask_presentations(connection, tracker.unheard_channels(resync.channels))
                elif block is not None and "Event" in block and resync.listing:
                    resync.held.append(block)
                    block = None
                if resync.done:
                    if resync.usable and not resync.pending:
                        tracker.resync(
                            resync.channels, resync.entries, resync.members, resync.presentations, resync.held
                        )
                    for held in resync.held:
                        tracker.handle(held)
                    resync = None
            if block is not None and "Event" in block:
                tracker.handle(block)
    finally:
        connection.writer.close()


async def follow(settings: Settings, emit: Callable[[Event], None], stop: threading.Event, store: Store) -> None:
    tracker = CallTracker(settings, emit, store)
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
    from calldesk_connector.state import CallStore

    try:
        store = CallStore(settings.queue_file, "ami")
    except OSError as exc:
        log.error("the AMI source cannot keep its calls in %s: %s", settings.queue_file, exc.strerror)
        raise SourceFailed from exc
    try:
        asyncio.run(follow(settings, emit, stop, store))
    finally:
        store.close()


async def check_login(settings: Settings) -> list[tuple[bool, str]]:
    """For `calldesk-connector check`: logs in as the connector would and asks for the calls in
    progress, so that the account, its `permit` and the actions a reconnection needs are proven."""
    ami = settings.ami
    where = f"{ami.host}:{ami.port}"
    try:
        connection, _ = await login(settings)
    except LoginRefused as exc:
        return [
            (
                False,
                f"Asterisk at {where} refused the login ({str(exc)[:60] or 'no reason given'}): check [ami] "
                "username and secret, and the user's permit in manager.conf",
            )
        ]
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
        return [
            (
                False,
                f"the Asterisk Manager Interface at {where} cannot be reached ({type(exc).__name__}): "
                "check [ami] host and port, and manager.conf's bindaddr",
            )
        ]
    results = [(True, f"logged in to the Asterisk Manager Interface at {where} as {ami.username}")]
    try:
        await connection.send(Action="CoreShowChannels", ActionID="calldesk-channels")
        await connection.send(Action="QueueStatus", ActionID="calldesk-queues")
        resync = Resync()
        events: list[str] = []
        deadline = time.monotonic() + ACTION_TIMEOUT
        while resync.pending and time.monotonic() < deadline:
            block = await connection.block(1.0)
            if block is not None and not resync.take(block) and "Event" in block:
                events.append(block["Event"])
        if "calldesk-channels" in resync.pending:
            results.append((False, "Asterisk did not answer CoreShowChannels in time"))
        elif not resync.usable:
            results.append(
                (
                    False,
                    "Asterisk refuses CoreShowChannels to this user: give it `write = reporting`, "
                    "or calls that change while the connector is away are not caught up",
                )
            )
        else:
            results.append((True, f"Asterisk lists the calls in progress ({len(resync.channels)} channel(s) now)"))
        if resync.usable and not resync.pending:
            results.append(await _read_permission(connection, resync, events))
    finally:
        connection.writer.close()
    return results


async def _read_permission(connection: AmiConnection, first: Resync, events: list[str]) -> tuple[bool, str]:
    """Asterisk tells no user which event classes it may read. So: list the channels twice a few
    seconds apart; if channels came or went, their Newchannel and Hangup events (class call) must
    have come too."""
    deadline = time.monotonic() + READ_CHECK_SECONDS
    while time.monotonic() < deadline:
        block = await connection.block(0.2)
        if block is not None and "Event" in block:
            events.append(block["Event"])
    await connection.send(Action="CoreShowChannels", ActionID="calldesk-channels")
    second = Resync()
    second.pending = {"calldesk-channels"}
    while second.pending and not second.done:
        block = await connection.block(1.0)
        if block is not None and not second.take(block) and "Event" in block:
            events.append(block["Event"])
    before = {c.get("Uniqueid", "") for c in first.channels}
    after = {c.get("Uniqueid", "") for c in second.channels}
    if CALL_CLASS & set(events):
        also = " and agent" if AGENT_CLASS & set(events) else ""
        return True, f"call{also} events arrive: the user reads them"
    if before != after:
        return False, (
            "channels came and went but no call event arrived: give the AMI user `read = call,agent` in manager.conf"
        )
    return True, (
        f"no call came or went in {READ_CHECK_SECONDS:.0f} s, so the user's `read = call,agent` "
        "could not be seen at work (the connector logs the first call it hears)"
    )
