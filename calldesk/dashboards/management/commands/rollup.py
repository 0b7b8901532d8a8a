"""`calldesk rollup`: count the dashboards' settled days ahead of the supervisors.

The dashboards keep each settled day's counts (calldesk.dashboards.rollup) and count a day again
once anything of it changed; without this command, the first view after a change pays for the
counting (a year of a big helpline: seconds). Run nightly by `calldesk maintenance`, after
retention (which changes old days). Safe while Calldesk runs, and to re-run.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calldesk.accounts.models import Organization
from calldesk.dashboards.rollup import YEAR, roll_up


class Command(BaseCommand):
    help = "Count and keep the dashboards' settled days of the last year that are not kept (or changed since)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="only this organization (its slug)")
        parser.add_argument(
            "--days",
            type=int,
            default=YEAR,
            help=f"how many days back (1 to {YEAR}; default the year)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= YEAR:
            raise CommandError(f"--days must be 1 to {YEAR}.")
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organization with the slug {options['org']!r}.")
        for organization in organizations:
            counted = roll_up(organization, days)
            self.stdout.write(
                f"{organization.slug}: {counted} day{'s' if counted != 1 else ''} counted for the dashboards."
            )
