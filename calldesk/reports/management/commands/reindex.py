"""`calldesk reindex`: rebuild the blind index that finds reports by a word of a sealed field.

Every save keeps the index in step; this rebuilds it from the values themselves: once
CALLDESK_HASH_KEY has changed (every token is derived from it), or to check nothing was missed.
Resumable and safe while Calldesk runs (each batch is its own transaction).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.accounts.models import Organization
from calldesk.callforms.models import FormRevision
from calldesk.reports.models import CallReport, ReportToken
from calldesk.reports.tokens import rebuild


class Command(BaseCommand):
    help = "Rebuild the index that finds reports by a word of a personal field (after CALLDESK_HASH_KEY changed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="only this organization (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        organization_id = None
        if options["org"]:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(f"No organization with the slug {options['org']!r}.")
            organization_id = organization.pk
        done = rebuild(CallReport, ReportToken, FormRevision, organization_id)
        self.stdout.write(f"{done} reports with personal text fields indexed.")
