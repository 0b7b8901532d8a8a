"""`calldesk-connector [run|check|test-call|init] [--settings FILE]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
from pathlib import Path
from urllib.parse import quote

from calldesk_connector import __version__
from calldesk_connector.app import complete, run
from calldesk_connector.events import call
from calldesk_connector.outbox import Outbox
from calldesk_connector.settings import EXAMPLE, Settings, SettingsError, default_path, load
from calldesk_connector.sinks import SENT, make_sink
from calldesk_connector.sinks.api import ApiSink, request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="calldesk-connector",
        description="Opens Calldesk's call report for every incoming call (SIP, Asterisk AMI, JSON lines, webhook).",
    )
    parser.add_argument("--version", action="version", version=f"calldesk-connector {__version__}")
    settings_help = f"the settings file (default: {default_path()})"
    parser.add_argument("--settings", type=Path, default=None, help=settings_help)
    # The command's own --settings too, so that it reads the same before or after the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--settings", type=Path, default=argparse.SUPPRESS, help=settings_help)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", parents=[common], help="listen for calls (the default)")
    commands.add_parser(
        "check", parents=[common], help="say what is wrong with the settings and whether Calldesk can be reached"
    )
    test = commands.add_parser("test-call", parents=[common], help="send one made-up call through the configured sink")
    test.add_argument("--ani", default="+15555550100", help="the caller's number to send (default: a 555 number)")
    test.add_argument("--dnis", default="", help="the line dialled")
    commands.add_parser("init", parents=[common], help="write an example settings file to fill in")
    args = parser.parse_args(argv)
    path = args.settings or default_path()

    if args.command == "init":
        return init(path)
    try:
        settings = load(path)
    except SettingsError as exc:
        print(f"The settings in {path} need fixing:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    if args.command == "check":
        return check(settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    if args.command == "test-call":
        return test_call(settings, args.ani, args.dnis)
    return run(settings)


def exit_with_main() -> None:
    """For the zipapp, whose generated entry point would drop main()'s exit status."""
    raise SystemExit(main())


def init(path: Path) -> int:
    if path.exists():
        print(f"{path} exists already; nothing written.", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXAMPLE, encoding="utf-8")
    print(f"Wrote {path}: fill in [calldesk] url and report_ver, then run `calldesk-connector check`.")
    return 0


def check(settings: Settings) -> int:
    """Prints one line per check, `ok` or `PROBLEM`; exits 1 when anything is wrong."""
    problems = 0

    def say(ok: bool, text: str) -> None:
        nonlocal problems
        problems += not ok
        print(f"{'ok     ' if ok else 'PROBLEM'}  {text}")

    say(True, f"the settings file {settings.path} reads well")
    status, _ = request("GET", settings.url + "/healthz", "")
    if status == 0:
        say(False, f"Calldesk cannot be reached at {settings.url}: check the address, the network or a proxy.")
    else:
        say(status == 200, f"Calldesk at {settings.url} answers ({status})")
    if not settings.token:
        note = "needed for sink = api" if settings.sink == "api" else "not needed for sink = browser"
        say(settings.sink != "api", f"no API token is set ({note}), so the forms cannot be checked from here")
    elif status:
        for version in settings.form_versions():
            code, _ = request("GET", f"{settings.url}/api/forms/{quote(version, safe='')}", settings.token)
            if code == 200:
                say(True, f"form {version} can be reached with the token")
            elif code == 401:
                say(False, "Calldesk refused the API token: it is wrong, revoked or of another Calldesk.")
                break
            elif code == 404:
                say(
                    False,
                    f"form {version} does not exist in the token's organization (or is retired): check report_ver",
                )
            else:
                say(False, f"form {version}: Calldesk answered {code}")
    if settings.sink == "browser" and not settings.browser_command:
        import webbrowser

        try:
            name = getattr(webbrowser.get(), "name", "the default browser")
            say(True, f"calls open in {name}")
        except webbrowser.Error:
            say(False, "no browser was found: set [browser] command")
    if "sip" in settings.sources:
        for transport in settings.sip.transports:
            kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
            with socket.socket(socket.AF_INET6 if ":" in settings.sip.listen else socket.AF_INET, kind) as sock:
                try:
                    sock.bind((settings.sip.listen, settings.sip.port))
                    say(True, f"SIP port {settings.sip.listen}:{settings.sip.port}/{transport} is free to listen on")
                except OSError as exc:
                    say(
                        False,
                        f"SIP port {settings.sip.port}/{transport} cannot be used ({exc.strerror}): "
                        "is another connector running?",
                    )
    if "ami" in settings.sources:
        for ok, text in check_ami(settings):
            say(ok, text)
    if settings.queue_file.exists():
        outbox = Outbox(settings.queue_file)
        waiting, rejected = outbox.counts()
        outbox.close()
        say(True, f"{waiting} event(s) wait in the queue {settings.queue_file}")
        if rejected:
            say(False, f"{rejected} event(s) were refused by Calldesk and kept aside in {settings.queue_file}")
    print("Everything looks right." if not problems else f"{problems} problem(s) found.")
    return 1 if problems else 0


def check_ami(settings: Settings) -> list[tuple[bool, str]]:
    from calldesk_connector.sources.ami import check_login

    return asyncio.run(check_login(settings))


def test_call(settings: Settings, ani: str, dnis: str) -> int:
    event = complete(call({"ani": ani, "dnis": dnis}), settings)
    sink = make_sink(settings)
    outcome = sink.deliver(event)
    print(f"test call {event.call_id}: {outcome.status} - {outcome.note}")
    if isinstance(sink, ApiSink) and sink.last_answer:
        try:
            answer = json.loads(sink.last_answer)
            print(json.dumps(answer, indent=2))
        except ValueError:
            pass
    return 0 if outcome.status == SENT else 1
