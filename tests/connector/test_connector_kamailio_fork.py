"""A real forking proxy (kamailio) rings an agent's phone (sipp, which answers) and the connector
in parallel: the phone gets the call, the connector's branch is cancelled cleanly, one pop; the
answer is the agent's when the connector rings beside the agent's own phone, and the agent's
draft is withdrawn when it rings beside another agent's."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from tests.connector import sipp
from tests.connector.harness import Connector, Receiver, free_port, write_settings

KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"

CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
tcp_children=1
disable_tcp=yes
auto_aliases=no
listen=udp:127.0.0.1:{proxy}
mpath="{modules}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "corex.so"

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{ t_relay(); }}
        exit;
    }}
    if (has_totag()) {{
        # In the dialog (ACK for the 200, BYE): to the phone's Contact, in the request URI.
        t_relay();
        exit;
    }}
    if (is_method("INVITE")) {{
        # The agent's desk phone and, as one more device of the agent, the connector.
        $ru = "sip:agent34@127.0.0.1:{phone}";
        append_branch("sip:agent34@127.0.0.1:{connector}");
        t_relay();
        exit;
    }}
    sl_send_reply("404", "Not Here");
}}
"""

PHONE = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone: rings, then the agent answers">
<recv request="INVITE"/>
<send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]phone[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent34@[local_ip]:[local_port]>
Content-Length: 0

]]></send>
<pause milliseconds="700"/>
<send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]phone[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent34@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=phone 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
<recv request="ACK"/>
<recv request="BYE"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""

CALLER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller: calls the helpline, talks, hangs up">
<send retrans="500"><![CDATA[
INVITE sip:helpline@127.0.0.1:{proxy} SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
From: "Jane Caller" <sip:+15551230300@carrier.example.org>;tag=[call_number]caller
To: <sip:8886201111@helpline.example.org>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rrs="true"/>
<send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
From: "Jane Caller" <sip:+15551230300@carrier.example.org>;tag=[call_number]caller
To: <sip:8886201111@helpline.example.org>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
<pause milliseconds="500"/>
<send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch];rport
From: "Jane Caller" <sip:+15551230300@carrier.example.org>;tag=[call_number]caller
To: <sip:8886201111@helpline.example.org>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
</scenario>
"""


def test_the_phone_answers_the_connector_is_cancelled_and_pops_once(tmp_path: Path, receiver: Receiver) -> None:
    """The connector rings beside agent 34's own desk phone: the phone answers, so agent 34 did."""
    log = forked_call(tmp_path, receiver, "34", {})
    (call,) = receiver.calls()
    assert call["ani"] == "+15551230300" and call["agent"] == "34"
    assert call["dnis"] == "8886201111"
    assert receiver.hangups() == [], "the call was answered on the phone: it did not end"
    (answer,) = answers(receiver)
    assert answer["callId"] == call["callId"] and answer["agent"] == "34"
    assert log.count("SIP branch cancelled") == 1
    assert "1230300" not in log


def test_a_call_answered_by_another_agents_phone_withdraws_this_agents_draft(
    tmp_path: Path, receiver: Receiver
) -> None:
    """The connector is agent 35's, forked with agent 34's phone (a ring group): 34 answers, the
    proxy cancels 35's branch (`Reason: SIP;cause=200`), 35's draft is withdrawn, the call goes on."""
    log = forked_call(tmp_path, receiver, "35", {"forked_with": "other_agents"})
    (call,) = receiver.calls()
    assert call["agent"] == "35"
    (withdrawn,) = receiver.hangups()
    assert withdrawn["callId"] == call["callId"]
    assert withdrawn["cause"] == "answeredElsewhere" and withdrawn["agent"] == "35"
    assert answers(receiver) == []
    assert "1230300" not in log


def answers(receiver: Receiver) -> list[dict[str, str]]:
    return [r.body for r in receiver.requests if r.path == "/api/calls/answer"]


def forked_call(tmp_path: Path, receiver: Receiver, agent: str, sip: dict[str, str]) -> str:
    """One call through kamailio forking to agent 34's phone (sipp, answers) and the connector;
    the connector's log once the call is over."""
    proxy, phone, connector_port = free_port(), free_port(), free_port()
    config = tmp_path / "kamailio.cfg"
    config.write_text(CONFIG.format(proxy=proxy, phone=phone, connector=connector_port, modules=MODULES))
    check = subprocess.run([KAMAILIO, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr[-2000:]

    settings = write_settings(
        tmp_path,
        {
            "calldesk": {
                "url": receiver.url,
                "report_ver": "9991234",
                "agent": agent,
                "sink": "api",
                "token": "cdk_" + "k" * 40,
            },
            "connector": {"sources": "sip", "retry_max": "0.5"},
            "sip": {"port": str(connector_port), "transports": "udp", **sip},
        },
    )
    connector = Connector(settings)
    kamailio = subprocess.Popen(
        [
            KAMAILIO,
            "-DD",
            "-E",
            "-f",
            str(config),
            "-P",
            str(tmp_path / "kamailio.pid"),
            "-Y",
            str(tmp_path),
            "-w",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "kamailio.log").open("wb"),
    )
    (tmp_path / "phone.xml").write_text(PHONE)
    (tmp_path / "caller.xml").write_text(CALLER.format(proxy=proxy))
    phone_sipp = subprocess.Popen(
        [
            sipp.SIPP,
            "-sf",
            "phone.xml",
            "-p",
            str(phone),
            "-i",
            "127.0.0.1",
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "40s",
            "-timeout_error",
            "-trace_err",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        connector.wait_for_log("SIP listening")
        time.sleep(1)  # kamailio's workers up
        caller = subprocess.run(
            [
                sipp.SIPP,
                f"127.0.0.1:{proxy}",
                "-sf",
                "caller.xml",
                "-m",
                "1",
                "-i",
                "127.0.0.1",
                "-nostdin",
                "-timeout",
                "40s",
                "-timeout_error",
                "-trace_err",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=70,
        )
        assert caller.returncode == 0, caller.stdout[-2500:]
        phone_out, _ = phone_sipp.communicate(timeout=60)
        assert phone_sipp.returncode == 0, phone_out[-2500:]
        connector.wait_for_log("SIP branch cancelled: answered elsewhere")
        time.sleep(1.5)  # any retransmission, second pop or hang-up would show by now
    finally:
        phone_sipp.kill()
        kamailio.terminate()
        kamailio.wait(10)
        connector.stop()

    return connector.log()
