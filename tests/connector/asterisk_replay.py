"""Replays the real AMI transcripts recorded from Asterisk 22.10.1 (data/asterisk-22.10.1/, see
its README) as Asterisk's manager would send them to the connector's AMI user.

Asterisk is not packaged in Debian, so the tests' peer is this replay of a real recording: it
sends the recorded events in order (only those of the classes the user reads, `call` and
`agent`, as Asterisk filters them), and answers CoreShowChannels and QueueStatus from the state
the recording had reached at that point, computed from every recorded event (channels, their
caller IDs, states, running application and bridge; callers waiting in queues).
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.connector.harness import free_port

DATA = Path(__file__).parent / "data" / "asterisk-22.10.1"
READ = {"call", "agent"}  # manager-calldesk-user.conf: read = call,agent
COMMON = (
    "Channel",
    "ChannelState",
    "ChannelStateDesc",
    "CallerIDNum",
    "CallerIDName",
    "ConnectedLineNum",
    "ConnectedLineName",
    "Language",
    "AccountCode",
    "Context",
    "Exten",
    "Priority",
    "Uniqueid",
    "Linkedid",
)


@dataclass
class Block:
    t: float
    fields: dict[str, str]
    raw: str  # as on the wire, CRLF line ends and the blank line

    @property
    def readable(self) -> bool:
        """Sent to a user with `read = call,agent` that asked for `Events: call,agent`."""
        return bool(READ & set(self.fields.get("Privilege", "").split(",")))


def load(run: str) -> list[Block]:
    """The recorded events of run1 or run2 (the login's response left out)."""
    text = gzip.decompress((DATA / f"{run}_transcript.txt.gz").read_bytes()).decode()
    blocks: list[Block] = []
    lines: list[str] = []
    t = 0.0
    for line in [*text.splitlines(), ""]:
        if line.startswith("# t="):
            t = float(line[4:])
            continue
        if line.startswith("#"):
            continue
        if line.strip():
            lines.append(line)
            continue
        if lines:
            fields: dict[str, str] = {}
            for item in lines:
                key, _, value = item.partition(":")
                fields.setdefault(key.strip(), value.strip())
            if "Event" in fields:
                blocks.append(Block(t, fields, "\r\n".join(lines) + "\r\n\r\n"))
            lines = []
    return blocks


def plan(run: str) -> list[dict[str, object]]:
    calls = json.loads((DATA / f"{run}_calls.json").read_text())
    return [calls[key] for key in sorted(calls, key=int)]


@dataclass
class AsteriskState:
    """What Asterisk would report at a point of the recording."""

    channels: dict[str, dict[str, str]] = field(default_factory=dict)
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    now: float = 0.0

    def apply(self, block: Block) -> None:
        event, fields = block.fields["Event"], block.fields
        self.now = block.t
        unique = fields.get("Uniqueid", "")
        if event == "Newchannel":
            self.channels[unique] = {
                **{key: fields.get(key, "") for key in COMMON},
                "Application": "",
                "ApplicationData": "",
                "BridgeId": "",
                "_created": str(block.t),
                "_pres": "0",
            }
            return
        channel = self.channels.get(unique)
        if channel is None:
            return
        if event == "Hangup":
            del self.channels[unique]
            self.entries.pop(unique, None)
            return
        if event in ("Newexten", "NewCallerid", "NewConnectedLine", "Newstate", "BridgeEnter", "BridgeLeave"):
            channel.update({key: fields[key] for key in COMMON if key in fields})
        if event == "NewCallerid":
            channel["_pres"] = fields.get("CID-CallingPres", "0").split(" ", 1)[0]
        if event == "Newexten":
            channel["Application"], channel["ApplicationData"] = (
                fields.get("Application", ""),
                fields.get("AppData", ""),
            )
        elif event == "BridgeEnter":
            channel["BridgeId"] = fields.get("BridgeUniqueid", "")
        elif event == "BridgeLeave":
            channel["BridgeId"] = ""
        elif event == "QueueCallerJoin":
            self.entries[unique] = {
                "Queue": fields.get("Queue", ""),
                "Channel": fields.get("Channel", ""),
                "Uniqueid": unique,
                "CallerIDNum": fields.get("CallerIDNum", ""),
                "CallerIDName": fields.get("CallerIDName", ""),
                "ConnectedLineNum": fields.get("ConnectedLineNum", ""),
                "ConnectedLineName": fields.get("ConnectedLineName", ""),
                "_joined": str(block.t),
            }
        elif event == "QueueCallerLeave":
            self.entries.pop(unique, None)

    def core_show_channels(self) -> list[dict[str, str]]:
        listed = []
        for channel in self.channels.values():
            seconds = int(self.now - float(channel["_created"]))
            item = {key: value for key, value in channel.items() if not key.startswith("_")}
            item["Duration"] = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            listed.append(item)
        return listed

    def presentation(self, name: str) -> str | None:
        """CALLERID(pres) of a channel, as Getvar reads it (the latest NewCallerid's presentation)."""
        channel = next((c for c in self.channels.values() if c["Channel"] == name), None)
        if channel is None:
            return None
        names = {"0": "allowed_not_screened", "1": "allowed_passed_screen", "2": "allowed_failed_screen"}
        names |= {"3": "allowed", "32": "prohib_not_screened", "33": "prohib_passed_screen"}
        names |= {"34": "prohib_failed_screen", "35": "prohib", "67": "unavailable"}
        return names.get(channel["_pres"], "unavailable")

    def getvar(self, name: str, action_id: str) -> str:
        value = self.presentation(name)
        if value is None:
            return f"Response: Error\r\nActionID: {action_id}\r\nMessage: No such channel\r\n\r\n"
        return f"Response: Success\r\nActionID: {action_id}\r\nVariable: CALLERID(pres)\r\nValue: {value}\r\n\r\n"

    def queue_members(self) -> list[dict[str, str]]:
        """queues.conf's members, as QueueStatus lists them."""
        members = []
        for line in (DATA / "etc" / "queues.conf").read_text().splitlines():
            if line.startswith("member =>"):
                interface, _, name = (part.strip() for part in line.split("=>", 1)[1].split(","))
                members.append({"Queue": "helpline", "Name": name, "Location": interface, "StateInterface": interface})
        return members

    def queue_entries(self) -> list[dict[str, str]]:
        listed = []
        for position, entry in enumerate(self.entries.values(), start=1):
            item = {key: value for key, value in entry.items() if not key.startswith("_")}
            item["Position"] = str(position)
            item["Wait"] = str(int(self.now - float(entry["_joined"])))
            item["Priority"] = "0"
            listed.append(item)
        return listed


def answer_blocks(action: str, action_id: str, state: AsteriskState) -> str:
    """Asterisk's answer to an action: a Response, then for lists their events and a Complete."""

    def block(**fields: str) -> str:
        return "".join(f"{key}: {value}\r\n" for key, value in fields.items()) + "\r\n"

    if action == "coreshowchannels":
        items = state.core_show_channels()
        out = block(Response="Success", ActionID=action_id, EventList="start", Message="Channels will follow")
        for item in items:
            out += block(Event="CoreShowChannel", ActionID=action_id, **item)
        return out + block(
            Event="CoreShowChannelsComplete", ActionID=action_id, EventList="Complete", ListItems=str(len(items))
        )
    if action == "queuestatus":
        entries = state.queue_entries()
        out = block(Response="Success", ActionID=action_id, EventList="start", Message="Queue status will follow")
        members = state.queue_members()
        for member in members:
            out += block(Event="QueueMember", ActionID=action_id, **member, Status="1", Paused="0", InCall="0")
        for entry in entries:
            out += block(Event="QueueEntry", ActionID=action_id, **entry)
        return out + block(
            Event="QueueStatusComplete",
            ActionID=action_id,
            EventList="Complete",
            ListItems=str(len(entries) + len(members)),
        )
    if action == "getvar":
        return block(Response="Error", ActionID=action_id, Message="No such channel")
    if action == "ping":
        return block(Response="Success", ActionID=action_id, Ping="Pong", Timestamp="0")
    return block(Response="Error", ActionID=action_id, Message="Permission denied")


class FakeAsterisk:
    """The recording over TCP. `play_until(n)` sends the blocks before n to the logged-in client;
    with no client logged in, `skip_to(n)` lets the recording go on unheard (a connector that is
    down), so the next login's CoreShowChannels sees the calls as they are at n."""

    def __init__(
        self,
        run: str,
        username: str = "calldesk",
        secret: str = "calldesk-rig-secret",
        read: frozenset[str] = frozenset(READ),
        write: frozenset[str] = frozenset({"reporting"}),
    ) -> None:
        self.read, self.write = read, write  # the user's manager.conf permissions
        self.blocks = load(run)
        self.username, self.secret = username, secret
        self.port = free_port()
        self.state = AsteriskState()
        self.position = 0
        self.target = 0
        self.logins: list[tuple[str, str]] = []
        self.actions: list[str] = []
        self.lock = threading.Condition()
        self.client: socket.socket | None = None
        self._stop = threading.Event()

    def start(self) -> FakeAsterisk:
        self._sock = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._stream, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        with self.lock:
            self.lock.notify_all()

    def play_until(self, index: int) -> None:
        with self.lock:
            self.target = max(self.target, min(index, len(self.blocks)))
            self.lock.notify_all()

    def wait_sent(self, timeout: float = 20.0) -> None:
        with self.lock:
            if not self.lock.wait_for(lambda: self.position >= self.target, timeout):
                raise AssertionError(f"the replay stalled at block {self.position} of {self.target}")

    def skip_to(self, index: int) -> None:
        with self.lock:
            assert self.client is None, "skip only while no connector listens"
            while self.position < index:
                self.state.apply(self.blocks[self.position])
                self.position += 1
            self.target = max(self.target, index)

    def drop_client(self) -> None:
        """Ends the connection as Asterisk going away would: the connector reads its end (a close
        alone leaves the session thread's recv holding it open)."""
        with self.lock:
            if self.client is not None:
                try:
                    self.client.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already gone
                self.client.close()
                self.client = None

    def index_at(self, t: float) -> int:
        """The first block recorded at or after t seconds."""
        return next((i for i, block in enumerate(self.blocks) if block.t >= t), len(self.blocks))

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        conn.sendall(b"Asterisk Call Manager/11.0.0\r\n")
        buffer = b""
        logged_in = False
        while not self._stop.is_set():
            try:
                chunk = conn.recv(4096)
            except OSError:
                break
            if not chunk:
                break
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                raw, buffer = buffer.split(b"\r\n\r\n", 1)
                fields = dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if ": " in line)
                action, action_id = fields.get("Action", "").lower(), fields.get("ActionID", "")
                with self.lock:
                    if action == "login":
                        self.logins.append((fields.get("Username", ""), fields.get("Secret", "")))
                        if (fields.get("Username"), fields.get("Secret")) != (self.username, self.secret):
                            conn.sendall(
                                f"Response: Error\r\nActionID: {action_id}\r\n"
                                "Message: Authentication failed\r\n\r\n".encode()
                            )
                            conn.close()
                            return
                        conn.sendall(
                            f"Response: Success\r\nActionID: {action_id}\r\n"
                            "Message: Authentication accepted\r\n\r\n".encode()
                        )
                        logged_in = True
                        if self.client is not None:
                            self.client.close()
                        self.client = conn
                        self.lock.notify_all()
                    elif logged_in:
                        self.actions.append(fields.get("Action", ""))
                        # What each action needs of the user's `write` (any one of); QueueStatus nothing.
                        needs = {"coreshowchannels": {"system", "reporting"}, "getvar": {"call", "reporting"}}
                        allowed = action not in needs or bool(self.write & needs[action])
                        if allowed and action == "getvar":
                            answer = self.state.getvar(fields.get("Channel", ""), action_id)
                        else:
                            answer = answer_blocks(action if allowed else "refused", action_id, self.state)
                        conn.sendall(answer.encode())
        with self.lock:
            if self.client is conn:
                self.client = None
        conn.close()

    def _stream(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                self.lock.wait_for(
                    lambda: self._stop.is_set() or (self.client is not None and self.position < self.target), 0.5
                )
                if self._stop.is_set() or self.client is None or self.position >= self.target:
                    continue
                block = self.blocks[self.position]
                self.state.apply(block)
                self.position += 1
                if self.read & set(block.fields.get("Privilege", "").split(",")):
                    try:
                        self.client.sendall(block.raw.encode())
                    except OSError:
                        self.client = None
                self.lock.notify_all()
