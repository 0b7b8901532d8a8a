"""`calldesk config import FILE` and `calldesk config export [--organization SLUG] [--output FILE]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from calldesk.configio.document import ConfigError, dump_text, is_json, size_problem
from calldesk.configio.exporter import UnknownOrganization, export_document
from calldesk.configio.importer import import_text
from calldesk.lib.limits import MAX_DOCUMENT_BYTES


class Command(BaseCommand):
    help = "Import or export organizations, users, forms and mappings as one YAML or JSON document."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        importing = actions.add_parser("import", help="Make the installation match FILE (all or nothing).")
        importing.add_argument("file", help="a .yaml, .yml or .json file; - reads standard input")
        exporting = actions.add_parser("export", help="Write the configuration to standard output or --output.")
        exporting.add_argument("--organization", metavar="SLUG", help="only this organization")
        exporting.add_argument("--output", metavar="FILE", help="write to FILE (.json gives JSON) instead")
        exporting.add_argument("--format", choices=("yaml", "json"), help="default: by --output's name, else YAML")
        exporting.add_argument(
            "--with-callers", action="store_true", help="also the caller profiles (callers' data, in clear)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options["file"])
        else:
            self._export(options["organization"], options["output"], options["format"], options["with_callers"])

    def _import(self, filename: str) -> None:
        # Read at most one byte past the limit: a huge file is refused before it is in memory.
        shown = "standard input" if filename == "-" else filename
        try:
            if filename == "-":
                data = sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1)
            else:
                with Path(filename).open("rb") as file:
                    data = file.read(MAX_DOCUMENT_BYTES + 1)
            if problem := size_problem(len(data)):
                raise CommandError(f"{shown} was not imported: {problem}; nothing was changed.")
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {shown}: {error}") from None
        filename = "" if filename == "-" else filename
        try:
            summary = import_text(text, filename)
        except ConfigError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            count = len(error.problems)
            raise CommandError(
                f"{filename or 'the document'} was not imported: {count} problem{'s' if count != 1 else ''}; "
                "nothing was changed."
            ) from None
        except IntegrityError:
            # Only a change made by someone else during the import gets here; the check saw none.
            raise CommandError(
                "the configuration changed while importing; nothing was changed, run it again."
            ) from None
        self.stdout.write(str(summary))

    def _export(self, slug: str | None, output: str | None, format_: str | None, with_callers: bool = False) -> None:
        try:
            document = export_document(slug, with_callers)
        except UnknownOrganization as error:
            raise CommandError(str(error)) from None
        as_json = format_ == "json" if format_ else is_json("", output or "config.yaml")
        text = dump_text(document, as_json=as_json)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
