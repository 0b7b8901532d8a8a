"""`calldesk restore FILE`: put a `calldesk backup` back (docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.lib.crypto import CryptoError
from calldesk.vault.backup import restore_backup
from calldesk.vault.sealedfile import BackupError


class Command(BaseCommand):
    help = (
        "Restore a backup made by `calldesk backup` into this (empty) database. Needs the backup's "
        "CALLDESK_BACKUP_KEY and the caller-data keys of the installation it came from. Stop Calldesk first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup file")
        parser.add_argument(
            "--replace", action="store_true", help="overwrite a database that already holds an installation"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        try:
            header = restore_backup(path, replace=options["replace"])
        except (BackupError, CryptoError, OSError) as problem:
            raise CommandError(f"nothing restored: {problem}") from None
        self.stdout.write(f"Restored the {header['engine']} backup of {header['created']} from {path}.")
