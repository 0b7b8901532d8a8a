"""The SIP source: the phone system rings the connector as one more device of the agent.

It only ever rings: 100 Trying and 180 Ringing to an INVITE, never a 200, so a forking proxy keeps
ringing the real phone and connects the call there. CANCEL gets its 200 and the INVITE a 487
(retransmitted over UDP until the ACK, RFC 3261 §17.2.1); BYE and OPTIONS get a 200. A
retransmitted INVITE gets the last response again and never a second pop: one pop per Call-ID.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from calldesk_connector.events import ANSWERED_ELSEWHERE, Event, answer, call, hangup, utc_now_iso
from calldesk_connector.settings import Settings
from calldesk_connector.sipmsg import (
    MAX_MESSAGE,
    Request,
    SipError,
    header_params,
    name_addr,
    parse_request,
    response,
    split_commas,
    uri_user,
)
from calldesk_connector.sources import SourceFailed, log

T1, T2, TIMER_H = 0.5, 4.0, 32.0
RING_TIMEOUT = 300.0  # a branch nobody cancelled: answered 480 so its state does not live forever
REMEMBER_CALLS = 3600.0  # how long a Call-ID is remembered against a second pop
ALLOW = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS"

Send = Callable[[bytes], None]


@dataclass
class Transaction:
    invite: Request
    send: Send
    reliable: bool  # TCP: no retransmissions
    to_tag: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    last: bytes = b""
    state: str = "proceeding"  # -> completed (final sent) -> confirmed (ACK received)
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


def read_call(request: Request, settings: Settings) -> dict[str, str]:
    """The telephony URL's parameters from an INVITE."""
    sip = settings.sip
    privacy = {token.strip().lower() for token in request.get("privacy").replace(";", ",").split(",")}
    # A caller who asked for privacy: Privacy (RFC 3323/3325), or a From made anonymous even when
    # a P-Asserted-Identity still carries the number for the network's own use.
    withheld = bool(privacy & {"id", "user", "header"}) or uri_user(name_addr(request.get("from"))[1]) == "anonymous"
    ani = ""
    for value in [*request.all("p-asserted-identity"), *request.all("remote-party-id"), request.get("from")]:
        for item in split_commas(value):
            params = header_params(item)
            if params.get("party", "calling") != "calling":
                continue
            if params.get("privacy", "off") not in ("off", ""):
                withheld = True
            ani = ani or uri_user(name_addr(item)[1])
    if withheld or ani == "anonymous" or not ani:
        ani = "anonymous"
    line = ""
    for place in sip.line_from:
        if place == "diversion" and request.all("diversion"):
            # The oldest diversion (the last one) holds the number the caller dialled.
            line = uri_user(name_addr(split_commas(request.all("diversion")[-1])[-1])[1])
        elif place == "to":
            line = uri_user(name_addr(request.get("to"))[1])
        elif place == "request-uri":
            line = uri_user(request.uri)
        if line and line != "anonymous":
            break
        line = ""
    params = {"ani": ani, "dnis": line, "callId": request.call_id, "callStart": utc_now_iso()}
    if sip.agent_from_request_uri:
        params["agent"] = uri_user(request.uri)
    for header, param in sip.headers.items():
        if request.get(header):
            params[param] = request.get(header)
    return params


class SipAgent:
    """The transaction logic, shared by UDP and TCP. Runs on one asyncio loop: no locks needed."""

    def __init__(self, settings: Settings, emit: Callable[[Event], None]) -> None:
        self.settings = settings
        self.emit = emit
        self.transactions: dict[tuple[str, str], Transaction] = {}
        self.seen_calls: dict[str, float] = {}
        self.agents: dict[str, str] = {}  # Call-ID -> the agent it was popped for
        self.loop = asyncio.get_running_loop()

    def received(self, data: bytes, send: Send, reliable: bool, peer: str) -> None:
        if not data.strip():
            return  # CRLF keep-alive
        try:
            request = parse_request(data)
        except SipError as exc:
            log.warning("SIP message from %s dropped: %s", peer, exc)
            return
        if request is None:
            return
        try:
            self.handle(request, send, reliable)
        except Exception:  # one odd message must never stop the source
            log.exception("SIP %s from %s could not be handled", request.method, peer)

    def handle(self, request: Request, send: Send, reliable: bool) -> None:
        key = (request.call_id, request.branch)
        tx = self.transactions.get(key)
        method = request.method
        if method == "INVITE":
            if tx is not None:
                send(tx.last)  # a retransmission: the same answer again
                return
            if "tag" in header_params(request.get("to")):
                send(response(request, 481, "Call/Transaction Does Not Exist"))  # a re-INVITE: we are in no dialog
                return
            tx = Transaction(request, send, reliable)
            self.transactions[key] = tx
            send(response(request, 100, "Trying"))
            tx.last = response(request, 180, "Ringing", tx.to_tag)
            send(tx.last)
            tx.timers.append(self.loop.call_later(RING_TIMEOUT, self.finish, key, 480, "Temporarily Unavailable"))
            self.pop(request)
        elif method == "CANCEL":
            if tx is None:
                send(response(request, 481, "Call/Transaction Does Not Exist"))
                return
            send(response(request, 200, "OK", tx.to_tag))
            if tx.state == "proceeding":
                self.finish(key, 487, "Request Terminated")
                self.cancelled(request)
        elif method == "ACK":
            if tx is not None and tx.state == "completed":
                tx.state = "confirmed"
                tx.cancel_timers()
                # Kept a little longer (timer I) so that retransmitted ACKs find it.
                tx.timers.append(self.loop.call_later(T2, self.forget, key))
        elif method in ("BYE", "OPTIONS"):
            extra = (ALLOW, "Accept: application/sdp") if method == "OPTIONS" else ()
            send(response(request, 200, "OK", uuid.uuid4().hex[:12], extra))
        else:
            send(response(request, 405, "Method Not Allowed", uuid.uuid4().hex[:12], (ALLOW,)))

    def pop(self, request: Request) -> None:
        now = time.monotonic()
        if request.call_id in self.seen_calls:
            return  # the same call on another branch: one pop per call
        self.seen_calls[request.call_id] = now
        if len(self.seen_calls) > 10000 or len(self.seen_calls) % 100 == 0:
            self.seen_calls = {cid: t for cid, t in self.seen_calls.items() if now - t < REMEMBER_CALLS}
            self.agents = {cid: agent for cid, agent in self.agents.items() if cid in self.seen_calls}
        params = read_call(request, self.settings)
        self.agents[request.call_id] = params.get("agent") or self.settings.agent
        self.emit(call(params))

    def cancelled(self, cancel: Request) -> None:
        # A proxy that cancels this branch because another one answered says so (RFC 3326:
        # `Reason: SIP;cause=200`): the call goes on there, so it has not ended.
        for reason in cancel.all("reason"):
            params = header_params(reason)
            if reason.upper().startswith("SIP") and params.get("cause") == "200":
                log.info("SIP branch cancelled: answered elsewhere")
                self.answered_elsewhere(cancel.call_id)
                return
        log.info("SIP branch cancelled: the caller hung up before an answer")
        self.emit(hangup(cancel.call_id, "cancel"))

    def answered_elsewhere(self, call_id: str) -> None:
        agent = self.agents.get(call_id, "")
        if self.settings.sip.forked_with == "own_phones":
            # The agent's own phone took it: the agent answered, now.
            self.emit(answer(call_id, agent))
        elif agent:
            # Another agent's phone took it: this agent's draft is withdrawn, the call goes on.
            self.emit(hangup(call_id, ANSWERED_ELSEWHERE, agent=agent))
        else:
            log.warning("SIP: answered by another agent, but this connector knows no agent to withdraw")

    def finish(self, key: tuple[str, str], code: int, reason: str) -> None:
        tx = self.transactions.get(key)
        if tx is None or tx.state != "proceeding":
            return
        tx.cancel_timers()
        tx.state = "completed"
        tx.last = response(tx.invite, code, reason, tx.to_tag)
        tx.send(tx.last)
        if not tx.reliable:
            tx.timers.append(self.loop.call_later(T1, self.retransmit, key, T1))
        tx.timers.append(self.loop.call_later(TIMER_H, self.forget, key))

    def retransmit(self, key: tuple[str, str], interval: float) -> None:
        tx = self.transactions.get(key)
        if tx is None or tx.state != "completed":
            return
        tx.send(tx.last)
        interval = min(interval * 2, T2)
        tx.timers.append(self.loop.call_later(interval, self.retransmit, key, interval))

    def forget(self, key: tuple[str, str]) -> None:
        tx = self.transactions.pop(key, None)
        if tx is not None:
            tx.cancel_timers()


class UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, agent: SipAgent) -> None:
        self.agent = agent
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        transport = self.transport
        assert transport is not None
        self.agent.received(data, lambda out: transport.sendto(out, addr), False, f"{addr[0]}:{addr[1]}/udp")


async def serve_tcp_client(agent: SipAgent, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peername = writer.get_extra_info("peername")
    peer = f"{peername[0]}:{peername[1]}/tcp" if peername else "?/tcp"

    def send(out: bytes) -> None:
        if not writer.is_closing():
            writer.write(out)

    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.strip():
                continue  # keep-alive CRLFs
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() in (b"content-length", b"l"):
                    if not value.strip().isdigit():
                        log.warning("SIP over TCP from %s: unreadable Content-Length; connection closed", peer)
                        return
                    length = int(value.strip())
            if length > MAX_MESSAGE:
                log.warning("SIP over TCP from %s: message too large; connection closed", peer)
                return
            body = await reader.readexactly(length)
            agent.received(head.lstrip(b"\r\n") + body, send, True, peer)
    except asyncio.LimitOverrunError:
        log.warning("SIP over TCP from %s: header too large; connection closed", peer)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(settings: Settings, emit: Callable[[Event], None], stop: threading.Event) -> None:
    agent = SipAgent(settings, emit)
    loop = asyncio.get_running_loop()
    host, port = settings.sip.listen, settings.sip.port
    closers: list[Callable[[], None]] = []
    if "udp" in settings.sip.transports:
        transport, _ = await loop.create_datagram_endpoint(lambda: UdpProtocol(agent), local_addr=(host, port))
        closers.append(transport.close)
    if "tcp" in settings.sip.transports:
        server = await asyncio.start_server(lambda r, w: serve_tcp_client(agent, r, w), host, port, limit=MAX_MESSAGE)
        closers.append(server.close)
    log.info("SIP listening on %s:%d (%s)", host, port, ", ".join(settings.sip.transports))
    while not stop.is_set():
        await asyncio.sleep(0.2)
    for close in closers:
        close()


def run_sip(settings: Settings, emit: Callable[[Event], None], stop: threading.Event) -> None:
    try:
        asyncio.run(serve(settings, emit, stop))
    except OSError as exc:
        log.error("SIP cannot listen on %s:%d: %s", settings.sip.listen, settings.sip.port, exc.strerror)
        raise SourceFailed from exc
