"""Where calls go: a browser tab on this computer, or Calldesk's API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from calldesk_connector.events import Event

if TYPE_CHECKING:
    from calldesk_connector.settings import Settings

SENT = "sent"
RETRY = "retry"  # Calldesk cannot be reached now: keep it and try again
REJECTED = "rejected"  # Calldesk refused it for good: keep it aside, do not retry


@dataclass(frozen=True)
class Outcome:
    status: str
    note: str  # for the log: never caller data


class Sink(Protocol):
    def deliver(self, event: Event) -> Outcome: ...


def make_sink(settings: Settings) -> Sink:
    from calldesk_connector.sinks.api import ApiSink

    api = ApiSink(settings.url, settings.token)
    if settings.sink == "api":
        return api
    from calldesk_connector.sinks.browser import BrowserSink

    # AMI hears every call of the phone system: on an agent's desk, only that agent's open a tab.
    # Other sources hear this desk's calls only, and the agent they name wins over the default.
    desk_agent = settings.agent if "ami" in settings.sources else ""
    return BrowserSink(settings.url, settings.browser_command, desk_agent, api if settings.token else None)
