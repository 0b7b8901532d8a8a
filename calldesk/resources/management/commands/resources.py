"""`calldesk resources import PATH --org SLUG` and `calldesk resources export DIR --org SLUG`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.accounts.models import Organization
from calldesk.resources import services
from calldesk.resources.importer import ImportRefused


class Command(BaseCommand):
    help = "Import or export an organization's resource directory (Open Referral HSDS 3.0)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        importing = actions.add_parser(
            "import", help="Make the directory match PATH: all or nothing; records left out are retired."
        )
        importing.add_argument("path", help="a datapackage directory, its datapackage.json, or an HSDS JSON file")
        importing.add_argument("--org", required=True, metavar="SLUG", help="the organization whose directory it is")
        exporting = actions.add_parser("export", help="Write the directory as an HSDS datapackage into DIR.")
        exporting.add_argument("directory", metavar="DIR")
        exporting.add_argument("--org", required=True, metavar="SLUG")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = Organization.objects.filter(slug=options["org"]).first()
        if owner is None:
            raise CommandError(f"no organization {options['org']!r}")
        if options["action"] == "import":
            path = Path(options["path"])
            try:
                summary = services.import_directory(owner, path)
            except ImportRefused as refused:
                for problem in refused.problems:
                    self.stderr.write(problem)
                count = len(refused.problems)
                raise CommandError(
                    f"{path} was not imported: {count} problem{'s' if count != 1 else ''}; nothing was changed."
                ) from None
            self.stdout.write(str(summary))
        else:
            written = services.export_directory(owner, Path(options["directory"]))
            self.stdout.write(", ".join(f"{name}: {count}" for name, count in written.items()))
