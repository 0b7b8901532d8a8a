"""sipp (Debian's `sip-tester`) as the phone system: scenarios written out per test, run as a child process."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SIPP = shutil.which("sipp") or "/usr/bin/sipp"

SDP = """v=0
o=pbx 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000"""


def invite(
    from_header: str = '"Jane Caller" <sip:+15551230100@pbx.example.org>',
    to_header: str = "<sip:8886201111@pbx.example.org>",
    request_uri: str = "sip:agent34@[remote_ip]:[remote_port]",
    headers: tuple[str, ...] = (),
) -> dict[str, str]:
    return {"from": from_header, "to": to_header, "ruri": request_uri, "headers": "\n".join(headers)}


def _request(method: str, call: dict[str, str], cseq_method: str, extra: str = "", body: str = "") -> str:
    to = call["to"] + ("[peer_tag_param]" if method == "ACK" else "")
    text = f"""{method} {call["ruri"]} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK-[call_number]-[pid]-1;rport
From: {call["from"]};tag=[call_number]-[pid]
To: {to}
Call-ID: [call_id]
CSeq: 1 {cseq_method}
Contact: <sip:pbx@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
{call["headers"] if method == "INVITE" else extra}
"""
    text = "\n".join(line for line in text.splitlines() if line.strip())
    if body:
        return f"{text}\nContent-Type: application/sdp\nContent-Length: [len]\n\n{body}\n"
    return f"{text}\nContent-Length: 0\n\n"


def ringing_then_cancelled(call: dict[str, str], ring_ms: int = 300, cancel_reason: str = "") -> str:
    """The phone system rings the connector, then cancels its branch (the caller hung up, or the
    agent answered on the real phone). Any 200 to the INVITE fails the scenario."""
    inv = f'<send retrans="500"><![CDATA[\n{_request("INVITE", call, "INVITE", body=SDP)}]]></send>'
    steps = [inv, '<recv response="100" optional="true"/>', '<recv response="180"/>']
    steps.append(f'<pause milliseconds="{ring_ms}"/>')
    steps.append(f"<send><![CDATA[\n{_request('CANCEL', call, 'CANCEL', cancel_reason)}]]></send>")
    steps.append('<recv response="200"/>')
    steps.append('<recv response="487"/>')
    steps.append(f"<send><![CDATA[\n{_request('ACK', call, 'ACK')}]]></send>")
    return scenario(steps)


def one_request(method: str, expect: int, call: dict[str, str] | None = None) -> str:
    call = call or invite()
    return scenario([f"<send><![CDATA[\n{_request(method, call, method)}]]></send>", f'<recv response="{expect}"/>'])


def scenario(steps: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="calldesk test">\n'
        + "\n".join(steps)
        + "\n</scenario>\n"
    )


def run(
    directory: Path,
    xml: str,
    target: str,
    calls: int = 1,
    transport: str = "u1",
    rate: int = 10,
    limit: int = 10,
    timeout: int = 40,
) -> subprocess.CompletedProcess[str]:
    path = directory / f"scenario-{abs(hash(xml))}.xml"
    path.write_text(xml)
    return subprocess.run(
        [
            SIPP,
            target,
            "-sf",
            str(path),
            "-m",
            str(calls),
            "-r",
            str(rate),
            "-l",
            str(limit),
            "-t",
            transport,
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-timeout",
            f"{timeout}s",
            "-timeout_error",
            "-trace_err",
            "-error_file",
            str(directory / "sipp-errors.log"),
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout + 30,
    )
