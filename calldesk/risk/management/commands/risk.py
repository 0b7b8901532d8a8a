"""`calldesk risk deliver`: post the risk webhook's deliveries that are due (once, or `--watch`)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from calldesk.risk.services import deliver_due


class Command(BaseCommand):
    help = "Imminent risk: `deliver` posts the risk webhook's due deliveries (retries with backoff)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deliver"])
        parser.add_argument("--watch", action="store_true", help="keep delivering, every --every seconds")
        parser.add_argument("--every", type=float, default=5.0, help="seconds between rounds with --watch")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            done = deliver_due()
            if done.posted or not options["watch"]:
                self.stdout.write(f"{done.posted} posted: {done.delivered} delivered, {done.failed} failed.")
            if not options["watch"]:
                return
            time.sleep(max(0.5, options["every"]))
