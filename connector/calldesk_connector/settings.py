"""The settings file: one INI file (readable by configparser on every Python the connector runs on).

Every problem is collected and reported in plain words, with the section and key to change;
nothing starts on settings that are wrong.
"""

from __future__ import annotations

import configparser
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SOURCES = ("sip", "ami", "stdin", "webhook")
SINKS = ("browser", "api")
LINE_HEADERS = ("diversion", "to", "request-uri")

EXAMPLE = """\
# calldesk-connector settings. Lines starting with # are comments.

[calldesk]
# Your Calldesk's address, as in the browser's address bar.
url = https://calldesk.example.org
# The call report form to open (its reportVer).
report_ver = 9991234
# Who takes the calls this connector sees: an agent ID or an email address. Leave empty when the
# source says who (AMI, JSON lines) or when each specialist's browser is logged in anyway.
agent =
# browser: open the call's report in a new browser tab on this computer.
# api: post the call to Calldesk's API, which pushes it to the agent's console (needs a token).
sink = browser
# The organization's API token (cdk_...), for sink = api and for `calldesk-connector check`.
token =

[connector]
# Where calls come from, one or more of: sip, ami, stdin, webhook
sources = sip
# log level: info (the default; never logs anything of a caller), warning, debug
log_level = info

[sip]
# The phone system rings this address as an extra device of the agent. 127.0.0.1 only hears this
# computer; 0.0.0.0 hears the network.
listen = 127.0.0.1
port = 5070
transports = udp, tcp
# Where the line dialled (sent as dnis) is read, first found wins.
line_from = diversion, to, request-uri
# A caller who asked for privacy (Privacy: id, Remote-Party-ID privacy=full, an anonymous From)
# is always sent as anonymous.
# What else rings when the connector rings: own_phones (the agent's own phones: when one of them
# answers, the agent answered) or other_agents (other agents' phones: when one of them answers,
# this agent's draft is withdrawn).
forked_with = own_phones

[sip.headers]
# X- headers to pass on, as header = parameter, e.g.
# X-Language = language

[lines]
# A form per line dialled, as number = reportVer (the line as it arrives, digits only), e.g.
# 8886201111 = 1234567

[browser]
# Empty: the system's default browser. Otherwise a command, with {url} where the address goes, e.g.
# command = firefox --new-tab {url}
command =
"""


class SettingsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class SipSettings:
    listen: str = "127.0.0.1"
    port: int = 5070
    transports: tuple[str, ...] = ("udp", "tcp")
    line_from: tuple[str, ...] = LINE_HEADERS
    forked_with: str = "own_phones"  # or "other_agents"
    headers: dict[str, str] = field(default_factory=dict)  # lower-case header name -> parameter
    agent_from_request_uri: bool = False


@dataclass
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = ""
    secret: str = ""
    pop_on: str = "answered"  # or "ringing"
    agents: dict[str, str] = field(default_factory=dict)  # interface/member/extension (lower case) -> agent
    reconnect_max: float = 30.0


@dataclass
class WebhookSettings:
    listen: str = "127.0.0.1"
    port: int = 8765
    secret: str = ""


@dataclass
class Settings:
    url: str = ""
    report_ver: str = ""
    agent: str = ""
    sink: str = "browser"
    token: str = ""
    sources: tuple[str, ...] = ("sip",)
    queue_file: Path = field(default_factory=lambda: data_dir() / "queue.sqlite3")
    log_level: str = "info"
    retry_max: float = 30.0  # longest pause between two tries while Calldesk cannot be reached
    parallel: int = 4  # calls sent side by side (the browser sink opens one tab at a time anyway)
    browser_command: str = ""
    lines: dict[str, str] = field(default_factory=dict)  # line digits -> reportVer
    params: dict[str, str] = field(default_factory=dict)  # sent with every call
    sip: SipSettings = field(default_factory=SipSettings)
    ami: AmiSettings = field(default_factory=AmiSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    path: Path | None = None

    def report_ver_for(self, line: str) -> str:
        digits = "".join(ch for ch in line if ch.isdigit())
        return self.lines.get(digits, self.report_ver)

    def form_versions(self) -> list[str]:
        return sorted({self.report_ver, *self.lines.values()} - {""})


def config_dir() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "calldesk-connector"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "calldesk-connector"
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "calldesk-connector"


def data_dir() -> Path:
    if sys.platform in ("win32", "darwin"):
        return config_dir()
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "calldesk-connector"


def default_path() -> Path:
    return Path(os.environ.get("CALLDESK_CONNECTOR_SETTINGS", config_dir() / "settings.ini"))


def load(path: Path) -> Settings:
    if not path.exists():
        raise SettingsError([f"There is no settings file at {path}. `calldesk-connector init` writes an example."])
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep header names' case as written
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise SettingsError([f"{path} is not a readable settings file: {str(exc).splitlines()[0]}"]) from exc
    return _read(parser, path)


def _read(parser: configparser.ConfigParser, path: Path) -> Settings:
    problems: list[str] = []
    s = Settings(path=path)

    def get(section: str, key: str, default: str = "") -> str:
        return parser.get(section, key, fallback=default).strip()

    def number(section: str, key: str, default: int) -> int:
        raw = get(section, key, str(default))
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            problems.append(f"[{section}] {key} = {raw!r}: give a port number between 1 and 65535.")
            return default
        return int(raw)

    def yes_no(section: str, key: str, default: bool) -> bool:
        raw = get(section, key, "yes" if default else "no").lower()
        if raw in ("yes", "true", "on", "1"):
            return True
        if raw in ("no", "false", "off", "0"):
            return False
        problems.append(f"[{section}] {key} = {raw!r}: write yes or no.")
        return default

    def listing(section: str, key: str, default: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
        raw = get(section, key, ", ".join(default))
        items = tuple(item.strip().lower() for item in raw.split(",") if item.strip())
        unknown = [item for item in items if item not in allowed]
        if unknown or not items:
            problems.append(f"[{section}] {key} = {raw!r}: choose from {', '.join(allowed)}.")
            return default
        return items

    s.url = get("calldesk", "url").rstrip("/")
    parts = urlsplit(s.url)
    if not s.url:
        problems.append("[calldesk] url is missing: write your Calldesk's address, e.g. https://calldesk.example.org")
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"[calldesk] url = {s.url!r} is not a web address: it must start with https:// (or http://).")
    elif parts.query or parts.fragment:
        problems.append("[calldesk] url: give only the address of Calldesk, without ? or # parts.")
    s.report_ver = get("calldesk", "report_ver")
    s.agent = get("calldesk", "agent")
    s.token = get("calldesk", "token") or os.environ.get("CALLDESK_TOKEN", "")
    s.sink = get("calldesk", "sink", "browser").lower()
    if s.sink not in SINKS:
        problems.append(f"[calldesk] sink = {s.sink!r}: choose browser or api.")
    if s.sink == "api" and not s.token:
        problems.append("[calldesk] token is missing: sink = api needs the organization's API token (cdk_...).")
    if s.token and not s.token.startswith("cdk_"):
        problems.append("[calldesk] token does not look like a Calldesk API token: they start with cdk_.")

    s.sources = listing("connector", "sources", ("sip",), SOURCES)
    s.log_level = get("connector", "log_level", "info").lower()
    if s.log_level not in ("debug", "info", "warning", "error"):
        problems.append(f"[connector] log_level = {s.log_level!r}: choose info, warning or debug.")
        s.log_level = "info"
    retry = get("connector", "retry_max", "30")
    try:
        retry_max = float(retry)
    except ValueError:
        retry_max = -1.0
    if 0.1 <= retry_max <= 3600:
        s.retry_max = retry_max
    else:
        problems.append(f"[connector] retry_max = {retry!r}: give a number of seconds between 0.1 and 3600.")
    parallel = get("connector", "parallel", "4")
    if not parallel.isdigit() or not 1 <= int(parallel) <= 32:
        problems.append(f"[connector] parallel = {parallel!r}: give a number of senders between 1 and 32.")
    else:
        s.parallel = int(parallel)
    queue = get("connector", "queue_file")
    if queue:
        s.queue_file = (path.parent / Path(queue).expanduser()).resolve()

    if parser.has_section("lines"):
        for line, version in parser.items("lines"):
            digits = "".join(ch for ch in line if ch.isdigit())
            if not digits or not version.strip():
                problems.append(f"[lines] {line} = {version!r}: write the line's number = the form's reportVer.")
            s.lines[digits] = version.strip()
    if not s.report_ver and not s.lines:
        problems.append("[calldesk] report_ver is missing: write the reportVer of the call report form to open.")
    if parser.has_section("params"):
        s.params = {key: value.strip() for key, value in parser.items("params")}
    s.browser_command = get("browser", "command")
    if s.browser_command and "{url}" not in s.browser_command:
        problems.append("[browser] command must contain {url} where the call's address goes.")

    sip = s.sip
    sip.listen = get("sip", "listen", sip.listen)
    sip.port = number("sip", "port", sip.port)
    sip.transports = listing("sip", "transports", sip.transports, ("udp", "tcp"))
    sip.line_from = listing("sip", "line_from", sip.line_from, LINE_HEADERS)
    if not yes_no("sip", "honour_privacy", True):
        problems.append(
            "[sip] honour_privacy = no is not possible: a caller who withheld the number is never shown; "
            "remove the line."
        )
    sip.forked_with = get("sip", "forked_with", sip.forked_with).lower().replace(" ", "_")
    if sip.forked_with not in ("own_phones", "other_agents"):
        problems.append(f"[sip] forked_with = {sip.forked_with!r}: choose own_phones or other_agents.")
    sip.agent_from_request_uri = yes_no("sip", "agent_from_request_uri", False)
    if parser.has_section("sip.headers"):
        sip.headers = {name.strip().lower(): param.strip() for name, param in parser.items("sip.headers")}

    ami = s.ami
    ami.host = get("ami", "host", ami.host)
    ami.port = number("ami", "port", ami.port)
    ami.username = get("ami", "username")
    ami.secret = get("ami", "secret")
    ami.pop_on = get("ami", "pop_on", "answered").lower()
    if ami.pop_on not in ("answered", "ringing"):
        problems.append(f"[ami] pop_on = {ami.pop_on!r}: choose answered or ringing.")
    reconnect = get("ami", "reconnect_max", "30")
    if not reconnect.isdigit() or not 1 <= int(reconnect) <= 3600:
        problems.append(f"[ami] reconnect_max = {reconnect!r}: give whole seconds between 1 and 3600.")
    else:
        ami.reconnect_max = float(reconnect)
    if parser.has_section("ami.agents"):
        ami.agents = {name.strip().lower(): agent.strip() for name, agent in parser.items("ami.agents")}
    if any(ch in ami.username + ami.secret for ch in "\r\n"):
        problems.append("[ami] username and secret must each be written on one line.")
    if "ami" in s.sources and not (ami.username and ami.secret):
        problems.append("[ami] username and secret are needed to log in to the Asterisk Manager Interface.")

    s.webhook.listen = get("webhook", "listen", s.webhook.listen)
    s.webhook.port = number("webhook", "port", s.webhook.port)
    s.webhook.secret = get("webhook", "secret")

    if problems:
        raise SettingsError(problems)
    return s
