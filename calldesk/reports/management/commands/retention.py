"""`calldesk retention`: blank callers' personal data past each organization's retention period.

Meant for a nightly timer; running it again (or twice at once) changes nothing more.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.accounts.models import Organization
from calldesk.reports.retention import run_all, run_retention


class Command(BaseCommand):
    help = "Blank phone numbers and personal fields on reports older than the organization keeps them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="only this organization (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["org"]:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(f"No organization with the slug {options['org']!r}.")
            run = run_retention(organization)
            runs = [run] if run is not None else []
            if run is None:
                self.stdout.write(f"{organization.slug}: keeps personal data (no retention period set).")
        else:
            runs = run_all()
        for run in runs:
            self.stdout.write(
                f"{run.organization.slug}: {run.reports_redacted} reports, {run.calls_redacted} calls, "
                f"{run.exports_redacted} export records blanked (older than {run.retention_days} days)."
            )
