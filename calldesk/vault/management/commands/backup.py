"""`calldesk backup FILE`: an encrypted copy of the whole database (docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.lib.crypto import CryptoError, keyring
from calldesk.vault.backup import make_backup
from calldesk.vault.sealedfile import BackupError


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the database to FILE while Calldesk keeps running "
        "(SQLite's online backup, or pg_dump). Encrypted with CALLDESK_BACKUP_KEY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="where to write the backup")
        parser.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} exists; pass --force to overwrite it")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a directory")
        try:
            header = make_backup(path)
            ring = keyring()
        except (BackupError, CryptoError, OSError) as problem:
            raise CommandError(f"no backup written: {problem}") from None
        size = path.stat().st_size / 1e6
        self.stdout.write(
            f"Backup of the {header['engine']} database written to {path} ({size:.1f} MB), "
            f"encrypted with backup key {ring.backup.id}."
        )
        self.stdout.write(
            f"Restoring it needs that key, and the caller-data keys it holds data under "
            f"(CALLDESK_DATA_KEYS {', '.join(header['data_key_ids'])}; CALLDESK_HASH_KEY {header['hash_key_id']})."
        )
        if not settings.CALLDESK_BACKUP_KEY or ring.from_file:
            self.stderr.write(
                f"WARNING: keys come from {settings.CALLDESK_KEY_FILE}. Keep a copy of that file somewhere "
                "other than this machine (not beside the backup): without it the backup cannot be read."
            )
