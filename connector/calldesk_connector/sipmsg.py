"""Reading SIP requests (RFC 3261) and writing the few responses the connector sends. Pure: no sockets.

Only what the connector needs: the start line, headers (compact forms, folded lines, several
values in one header), name-addr values with display names, sip:/sips:/tel: URIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

MAX_MESSAGE = 64 * 1024

COMPACT = {
    "i": "call-id",
    "f": "from",
    "t": "to",
    "v": "via",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
    "o": "event",
    "r": "refer-to",
    "u": "allow-events",
    "x": "session-expires",
}
REQUIRED = ("via", "from", "to", "call-id", "cseq")
WITHHELD = {"anonymous", "restricted", "unavailable", "unknown", "private", "withheld", "anonymous.invalid"}


class SipError(ValueError):
    """Why a message cannot be read; says nothing of its content."""


@dataclass
class Request:
    method: str
    uri: str
    headers: list[tuple[str, str]] = field(default_factory=list)  # (lower-case full name, value) in order
    body: bytes = b""

    def get(self, name: str) -> str:
        for key, value in self.headers:
            if key == name:
                return value
        return ""

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    @property
    def call_id(self) -> str:
        return self.get("call-id").strip()

    @property
    def branch(self) -> str:
        top = split_commas(self.get("via"))[0] if self.get("via") else ""
        return header_params(top).get("branch", "")

    @property
    def cseq_method(self) -> str:
        return self.get("cseq").split()[-1].upper() if self.get("cseq").split() else ""


def parse_request(data: bytes) -> Request | None:
    """None for a response (the connector sends no requests, so it ignores them); SipError if unreadable."""
    if len(data) > MAX_MESSAGE:
        raise SipError("message too large")
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")  # bare LF line ends, which some phones send
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipError("the header is not UTF-8") from exc
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines[0].split(" ")
    if start[0] == "SIP/2.0":
        return None
    if len(start) != 3 or start[2] != "SIP/2.0" or not start[0].isalpha() or not start[0].isupper():
        raise SipError("the first line is not a SIP request line")
    request = Request(start[0], start[1])
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and request.headers:
            name, value = request.headers[-1]
            request.headers[-1] = (name, value + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name or " " in name:
            raise SipError("a header line has no name")
        request.headers.append((COMPACT.get(name, name), value.strip()))
    missing = [name for name in REQUIRED if not request.get(name)]
    if missing:
        raise SipError(f"no {', '.join(missing)} header")
    cseq = request.get("cseq").split()
    if len(cseq) != 2 or not cseq[0].isdigit():
        raise SipError("the CSeq header is unreadable")
    if cseq[1] != request.method:
        raise SipError("the CSeq method does not match the request")
    length = request.get("content-length")
    if length and not length.isdigit():
        raise SipError("the Content-Length is not a number")
    request.body = body[: int(length)] if length else body
    return request


def split_commas(value: str) -> list[str]:
    """Splits a header holding several values, minding quoted strings and <...>."""
    parts: list[str] = []
    current: list[str] = []
    quoted = angle = escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle = True
        elif ch == ">" and not quoted:
            angle = False
        elif ch == "," and not quoted and not angle:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def header_params(value: str) -> dict[str, str]:
    """The ;name=value parameters after a header's main value (outside <...>)."""
    tail = value.rsplit(">", 1)[1] if ">" in value else value
    params = {}
    for item in tail.split(";")[1:]:
        key, _, val = item.partition("=")
        params[key.strip().lower()] = val.strip().strip('"')
    return params


def name_addr(value: str) -> tuple[str, str]:
    """(display name, URI) of `"Name" <sip:...>;tag=x`, `Name <tel:...>` or `sip:...;tag=x`."""
    value = value.strip()
    display = ""
    if value.startswith('"'):
        chars, i = [], 1
        while i < len(value) and value[i] != '"':
            if value[i] == "\\" and i + 1 < len(value):
                i += 1
            chars.append(value[i])
            i += 1
        display, value = "".join(chars), value[i + 1 :]
    if "<" in value:
        before, _, rest = value.partition("<")
        return (display or before.strip()), rest.partition(">")[0].strip()
    return display, value.split(";", 1)[0].strip()


def uri_user(uri: str) -> str:
    """The number (or user) a URI names: `sip:+1555@host;user=phone` -> `+1555`; `tel:+1-555;x=y` -> `+1-555`.
    A withheld identity (`sip:anonymous@anonymous.invalid`) -> `anonymous`."""
    lower = uri.lower()
    if lower.startswith("tel:"):
        user = uri[4:].split(";", 1)[0]
        host = ""
    elif lower.startswith(("sip:", "sips:")):
        rest = uri.split(":", 1)[1]
        user, at, host = rest.rpartition("@")
        if not at:
            user, host = "", rest
        user = user.split(";", 1)[0].split(":", 1)[0]
        host = host.split(";", 1)[0].split(":", 1)[0].lower()
    else:
        return ""
    user = unquote(user).strip()
    if user.lower() in WITHHELD or host == "anonymous.invalid":
        return "anonymous"
    return user


def response(request: Request, code: int, reason: str, to_tag: str = "", extra: tuple[str, ...] = ()) -> bytes:
    """A response that a proxy matches to its transaction: every Via, From, To (with our tag once
    we have one), Call-ID and CSeq as received (RFC 3261 §8.2.6)."""
    lines = [f"SIP/2.0 {code} {reason}"]
    lines += [f"Via: {via}" for via in request.all("via")]
    lines.append(f"From: {request.get('from')}")
    to = request.get("to")
    if to_tag and "tag" not in header_params(to):
        to = f"{to};tag={to_tag}"
    lines.append(f"To: {to}")
    lines.append(f"Call-ID: {request.call_id}")
    lines.append(f"CSeq: {request.get('cseq')}")
    lines += list(extra)
    lines += ["Server: calldesk-connector", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode("utf-8")
