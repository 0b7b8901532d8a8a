"""The SIP source against sipp as the phone system: the connector rings, never answers, reads the
caller, line and call ID in the forms phone systems send them, and pops once per call."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connector import sipp
from tests.connector.harness import Connector, Receiver, free_port, wait_until, write_settings

TOKEN = "cdk_" + "s" * 40


@pytest.fixture
def sip_connector(tmp_path: Path, receiver: Receiver) -> Iterator[tuple[Connector, int]]:
    port = free_port()
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": receiver.url, "report_ver": "9991234", "agent": "34", "sink": "api", "token": TOKEN},
            "connector": {"sources": "sip", "retry_max": "0.5"},
            "sip": {"port": str(port), "line_from": "diversion, to, request-uri"},
            "sip.headers": {"X-Language": "language", "X-Queue": "queue"},
        },
    )
    connector = Connector(settings)
    connector.wait_for_log("SIP listening")
    yield connector, port
    connector.stop()


def ring(tmp_path: Path, port: int, call: dict[str, str], transport: str = "u1", **kw: object) -> None:
    done = sipp.run(tmp_path, sipp.ringing_then_cancelled(call, **kw), f"127.0.0.1:{port}", transport=transport)  # type: ignore[arg-type]
    errors = tmp_path / "sipp-errors.log"
    assert done.returncode == 0, done.stdout[-2000:] + (errors.read_text()[-3000:] if errors.exists() else "")


def only_call(receiver: Receiver) -> dict[str, str]:
    wait_until(lambda: receiver.calls(), what="the call to be posted")
    time.sleep(0.3)
    (body,) = receiver.calls()
    return body


@pytest.mark.parametrize(
    ("from_header", "headers", "ani"),
    [
        ('"Jane \\"JJ\\" Caller" <sip:+15551230100@pbx.example.org;user=phone>', (), "+15551230100"),
        ("Jane Caller <sip:5551230101@pbx.example.org>", (), "5551230101"),
        ("<tel:+1-555-123-0102;phone-context=example.org>", (), "+1-555-123-0102"),
        ("sip:5551230103@pbx.example.org", (), "5551230103"),
        (
            '"Jane" <sip:+15551239999@pbx.example.org>',
            ("P-Asserted-Identity: <sip:+15551230104@pbx.example.org>, <tel:+15551230104>",),
            "+15551230104",
        ),
        (
            # The caller withheld the number (an anonymous From), the network still asserts it.
            '"Anonymous" <sip:anonymous@anonymous.invalid>',
            ("P-Asserted-Identity: <sip:+15551230108@pbx.example.org>",),
            "anonymous",
        ),
        (
            "<sip:trunk@pbx.example.org>",
            ('Remote-Party-ID: "Jane" <sip:+15551230105@pbx.example.org>;party=calling;screen=yes;privacy=off',),
            "+15551230105",
        ),
        ('"Anonymous" <sip:anonymous@anonymous.invalid>', (), "anonymous"),
        ("<sip:restricted@pbx.example.org>", (), "anonymous"),
        (
            '"Anonymous" <sip:anonymous@anonymous.invalid>',
            ("P-Asserted-Identity: <sip:+15551230106@pbx.example.org>", "Privacy: id"),
            "anonymous",
        ),
        (
            "<sip:trunk@pbx.example.org>",
            ("Remote-Party-ID: <sip:+15551230107@pbx.example.org>;party=calling;privacy=full",),
            "anonymous",
        ),
    ],
    ids=[
        "quoted-name",
        "plain-name",
        "tel-uri",
        "bare-uri",
        "pai",
        "anonymous-from-with-pai",
        "rpid",
        "anonymous",
        "restricted",
        "privacy-id",
        "rpid-privacy",
    ],
)
def test_it_reads_the_caller_in_each_form(
    tmp_path: Path,
    sip_connector: tuple[Connector, int],
    receiver: Receiver,
    from_header: str,
    headers: tuple[str, ...],
    ani: str,
) -> None:
    connector, port = sip_connector
    ring(tmp_path, port, sipp.invite(from_header=from_header, headers=headers))
    body = only_call(receiver)
    assert body["ani"] == ani
    assert body["dnis"] == "8886201111"
    assert body["agent"] == "34" and body["reportVer"] == "9991234"
    assert "1230" not in connector.log(), "the caller's number never reaches the log"


def test_the_line_comes_from_the_oldest_diversion_then_to_then_the_request_uri(
    tmp_path: Path, sip_connector: tuple[Connector, int], receiver: Receiver
) -> None:
    _, port = sip_connector
    ring(
        tmp_path,
        port,
        sipp.invite(
            headers=(
                "Diversion: <sip:201@pbx.example.org>;reason=no-answer;counter=1",
                "Diversion: <tel:+18886202222>;reason=unconditional",
            )
        ),
    )
    ring(tmp_path, port, sipp.invite(to_header="<tel:+18886203333>"))
    ring(
        tmp_path,
        port,
        sipp.invite(
            to_header="<sip:anonymous@anonymous.invalid>", request_uri="sip:8886204444@[remote_ip]:[remote_port]"
        ),
    )
    wait_until(lambda: len(receiver.calls()) == 3, what="three calls")
    assert sorted(c["dnis"] for c in receiver.calls()) == ["+18886202222", "+18886203333", "8886204444"]


def test_call_id_and_chosen_x_headers_are_passed_on(
    tmp_path: Path, sip_connector: tuple[Connector, int], receiver: Receiver
) -> None:
    _, port = sip_connector
    ring(tmp_path, port, sipp.invite(headers=("X-Language: 112211", "X-Queue: crisis", "X-Secret: not-asked-for")))
    body = only_call(receiver)
    assert body["language"] == "112211" and body["queue"] == "crisis"
    assert "not-asked-for" not in body.values()
    assert body["callId"].endswith("@127.0.0.1") and body["callId"].split("-")[0] == "1"


def test_over_tcp_it_rings_and_is_cancelled_the_same_way(
    tmp_path: Path, sip_connector: tuple[Connector, int], receiver: Receiver
) -> None:
    _, port = sip_connector
    ring(tmp_path, port, sipp.invite(), transport="t1")
    assert only_call(receiver)["ani"] == "+15551230100"


def test_a_retransmitted_invite_is_answered_again_with_the_last_response(
    sip_connector: tuple[Connector, int], receiver: Receiver
) -> None:
    _, port = sip_connector
    invite = (
        b"INVITE sip:agent34@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-raw-1;rport\r\n"
        b"From: <sip:+15551230200@pbx>;tag=r1\r\nTo: <sip:8886201111@pbx>\r\nCall-ID: raw-1@pbx\r\n"
        b"CSeq: 7 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(3)
        udp.sendto(invite, ("127.0.0.1", port))
        first = [udp.recv(4096).split(b"\r\n")[0], udp.recv(4096)]
        udp.sendto(invite, ("127.0.0.1", port))
        again = udp.recv(4096)
    assert first[0] == b"SIP/2.0 100 Trying"
    assert first[1].startswith(b"SIP/2.0 180 Ringing") and again == first[1], "the same 180, the same To tag"
    assert b"To: <sip:8886201111@pbx>;tag=" in again and b"CSeq: 7 INVITE" in again
    wait_until(lambda: receiver.calls(), what="the pop")
    time.sleep(0.5)
    assert [c["callId"] for c in receiver.calls()] == ["raw-1@pbx"]


def test_a_cancel_before_answer_is_a_hang_up_unless_the_call_was_answered_elsewhere(
    tmp_path: Path, sip_connector: tuple[Connector, int], receiver: Receiver
) -> None:
    _, port = sip_connector
    ring(tmp_path, port, sipp.invite(from_header="<sip:+15551230110@pbx>"))
    ring(
        tmp_path,
        port,
        sipp.invite(from_header="<sip:+15551230111@pbx>"),
        cancel_reason='Reason: SIP ;cause=200 ;text="Call completed elsewhere"',
    )
    wait_until(lambda: len(receiver.calls()) == 2 and receiver.hangups(), what="two calls and a hang-up")
    time.sleep(0.5)
    first = next(c for c in receiver.calls() if c["ani"] == "+15551230110")
    second = next(c for c in receiver.calls() if c["ani"] == "+15551230111")
    (hang,) = receiver.hangups()
    assert hang["callId"] == first["callId"] and hang["cause"] == "cancel"
    # Rung beside the agent's own phones (forked_with = own_phones): one of them answered, so
    # the agent did.
    wait_until(lambda: answers(receiver), what="the answer")
    ((answer),) = answers(receiver)
    assert answer["callId"] == second["callId"] and answer["agent"] == "34" and answer["answeredAt"].endswith("Z")


def answers(receiver: Receiver) -> list[dict[str, str]]:
    return [r.body for r in receiver.requests if r.path == "/api/calls/answer"]


def test_options_and_bye_get_200_and_other_requests_405(tmp_path: Path, sip_connector: tuple[Connector, int]) -> None:
    _, port = sip_connector
    for method, expect in (("OPTIONS", 200), ("BYE", 200), ("REGISTER", 405), ("CANCEL", 481)):
        done = sipp.run(tmp_path, sipp.one_request(method, expect), f"127.0.0.1:{port}")
        assert done.returncode == 0, (method, done.stdout[-1500:])


def test_many_calls_ringing_at_once_each_pop_once(
    tmp_path: Path, sip_connector: tuple[Connector, int], receiver: Receiver
) -> None:
    _, port = sip_connector
    done = sipp.run(
        tmp_path,
        sipp.ringing_then_cancelled(sipp.invite(), ring_ms=2000),
        f"127.0.0.1:{port}",
        calls=150,
        rate=150,
        limit=150,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    wait_until(lambda: len(receiver.calls()) == 150, timeout=30, what="150 calls")
    assert len({c["callId"] for c in receiver.calls()}) == 150


MALFORMED = [
    b"",
    b"\r\n\r\n",
    b"garbage\r\n\r\n",
    b"INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1\r\n\r\n",  # no From, To, Call-ID, CSeq
    b"INVITE sip:x@y SIP/2.0\r\nFrom: <sip:+15550009999@x>;tag=1\r\nTo: <sip:y@x>\r\nCall-ID: a\r\n"
    b"CSeq: one INVITE\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK1\r\n\r\n",
    b"INVITE sip:x@y SIP/2.0\r\nno colon here\r\n\r\n",
    b"\xff\xfe\xfd SIP/2.0\r\n\r\n",
    b"INVITE sip:x@y SIP/2.0\r\n" + b"X-Long: " + b"a" * 70000 + b"\r\n\r\n",
]


def test_malformed_messages_are_logged_without_caller_data_and_it_keeps_working(
    tmp_path: Path, sip_connector: tuple[Connector, int], receiver: Receiver
) -> None:
    connector, port = sip_connector
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for message in MALFORMED[:-1]:
            udp.sendto(message, ("127.0.0.1", port))
    for message in [*MALFORMED, b"INVITE sip:x@y SIP/2.0\r\nContent-Length: lots\r\n\r\n"]:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as tcp:
            tcp.sendall(message)
            tcp.shutdown(socket.SHUT_WR)
            tcp.settimeout(5)
            try:
                while tcp.recv(4096):
                    pass
            except (ConnectionResetError, TimeoutError):
                pass
    ring(tmp_path, port, sipp.invite())
    assert only_call(receiver)["ani"] == "+15551230100"
    log = connector.log()
    assert "dropped: the first line is not a SIP request line" in log
    assert "dropped: no from, to, call-id, cseq header" in log
    assert "dropped: the CSeq header is unreadable" in log
    assert "0009999" not in log and "1230100" not in log
    assert "Traceback" not in log
