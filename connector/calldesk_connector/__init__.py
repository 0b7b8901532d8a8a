"""calldesk-connector: turns incoming-call events from a phone system into Calldesk screen pops."""

__version__ = "0.1.0"
