"""Opens the telephony URL of a call in a new tab of the browser, on the desk of the agent who
takes it. What has no tab (a call nobody took, an answer, a hang-up) goes to Calldesk's API when a
token is set, so that Calldesk still hears of it; without a token it is skipped."""

from __future__ import annotations

import shlex
import subprocess
import sys
import webbrowser
from urllib.parse import urlencode

from calldesk_connector.events import CALL, Event
from calldesk_connector.sinks import REJECTED, SENT, Outcome, Sink

# The contract's parameters first, in the order iCarol's page writes them, so the URL reads as
# the admin configured it; everything else after.
FIRST = ("reportVer", "agent", "callStart", "ani", "dnis")


def telephony_url(base: str, params: dict[str, str]) -> str:
    ordered = [(key, params[key]) for key in FIRST if params.get(key)]
    ordered += [(key, value) for key, value in params.items() if key not in FIRST and value]
    return f"{base}/Telephony/GetCallReport?{urlencode(ordered)}"


class BrowserSink:
    def __init__(self, base_url: str, command: str = "", agent: str = "", api: Sink | None = None) -> None:
        self.base_url = base_url
        self.command = command
        self.agent = agent  # this desk's agent: another agent's call opens no tab here
        self.api = api

    def deliver(self, event: Event) -> Outcome:
        if event.kind != CALL or event.params.get("agent") == "":
            if self.api is not None:
                return self.api.deliver(event)
            what = (
                "a call nobody took"
                if event.kind == CALL
                else f"an {event.kind}"
                if event.kind == "answer"
                else "a hang-up"
            )
            return Outcome(SENT, f"{what} has no browser tab and no token is set; skipped")
        if self.agent and event.params.get("agent", self.agent) != self.agent:
            return Outcome(SENT, "another agent's call; no tab here")
        url = telephony_url(self.base_url, event.params)
        if self.command:
            argv = [part.replace("{url}", url) for part in shlex.split(self.command, posix=sys.platform != "win32")]
            try:
                subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - the admin's own command
            except OSError as exc:
                return Outcome(REJECTED, f"the browser command could not be started: {exc.strerror}")
            return Outcome(SENT, "opened with the browser command")
        if not webbrowser.open_new_tab(url):
            return Outcome(REJECTED, "no browser could be opened; set [browser] command")
        return Outcome(SENT, "opened in the default browser")
