"""`calldesk crypto new-key` and `calldesk crypto rotate` (docs/security.md)."""

from __future__ import annotations

import argparse
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.lib.crypto import CryptoError, keyring, new_key
from calldesk.vault.rotation import BATCH, Tally, reseal_all


class Command(BaseCommand):
    help = "Keys for caller data at rest: make a new key, or re-seal every row with the first key."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("new-key", help="Print a new random key (for CALLDESK_DATA_KEYS and the others).")
        rotate = actions.add_parser(
            "rotate",
            help="Re-seal caller data with the first of CALLDESK_DATA_KEYS (and refresh the phone hashes). "
            "In batches, each committed; run it again after an interruption and it finishes.",
        )
        rotate.add_argument("--batch", type=int, default=BATCH, help=f"rows per transaction (default {BATCH})")
        # Also after the action (`crypto rotate -v 2`: a line per batch), where people type it.
        rotate.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "new-key":
            self.stdout.write(new_key())
            return
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        try:
            ring = keyring()
        except CryptoError as problem:
            raise CommandError(str(problem)) from None
        self.stdout.write(f"Sealing with key {ring.primary.id}; opening with {', '.join(k.id for k in ring.data)}.")
        self.verbosity, self.batch = options["verbosity"], options["batch"]
        try:
            tallies = reseal_all(apps.get_models(), batch=options["batch"], progress=self._progress)
        except CryptoError as problem:
            raise CommandError(f"{problem}. Rows done so far stay done.") from None
        for tally in tallies:
            self.stdout.write(f"{tally.table}: {tally.rows} rows read, {tally.resealed} re-sealed.")
        self.stdout.write(
            f"Done: every row is sealed with key {ring.primary.id}. Keys other than the first can now be removed "
            "from CALLDESK_DATA_KEYS (keep them while backups made before this still matter)."
        )

    def _progress(self, tally: Tally) -> None:
        # Every batch is committed when this is called: what it says is done stays done.
        if self.verbosity >= 2 or (tally.rows // self.batch) % 20 == 0:
            self.stdout.write(f"  {tally.table}: {tally.rows} rows read, {tally.resealed} re-sealed so far")
            self.stdout.flush()
