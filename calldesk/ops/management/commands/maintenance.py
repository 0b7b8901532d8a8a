"""`calldesk maintenance`: the nightly clean-up, one command for a timer (README, "Nightly").

It deletes expired sessions (a logged-out session holding a waiting call expires after
15 minutes; Django never deletes expired sessions by itself), forgets login attempts older
than the throttle needs, answers and hang-ups kept for calls that never came (a day old) and
directory import records finished 30 days ago, records as ended the calls no event ended within
`CALL_STALE_HOURS` (calldesk.telephony.ending), runs `calldesk retention`, then counts the
dashboards' settled days (`calldesk rollup`). Safe to re-run or run twice at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from calldesk.accounts import throttle
from calldesk.followups.services import overdue_by_organization
from calldesk.resources import jobs as directory_imports
from calldesk.telephony.ending import end_stale_calls
from calldesk.telephony.lifecycle import forget_pending_events


class Command(BaseCommand):
    help = (
        "Nightly clean-up: delete expired sessions, old login attempts and call events kept for calls that "
        "never came, then run retention and count the dashboards' settled days (rollup)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--skip-retention", action="store_true", help="do not run `calldesk retention`")

    def handle(self, *args: Any, **options: Any) -> None:
        sessions, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        attempts = throttle.forget_old()
        pending = forget_pending_events()
        self.stdout.write(f"{sessions} expired sessions and {attempts} old login attempts deleted.")
        self.stdout.write(f"{pending} answers and hang-ups kept for calls that never came deleted.")
        imports = directory_imports.forget_finished()
        self.stdout.write(
            f"{imports} directory import records finished over {directory_imports.KEEP_FINISHED.days} days ago deleted."
        )
        for slug, count in overdue_by_organization().items():
            self.stdout.write(f"{slug}: {count} follow-up{'s' if count != 1 else ''} overdue (see /followups/all/).")
        stale = end_stale_calls()
        self.stdout.write(f"{stale} calls no event ended in {settings.CALL_STALE_HOURS} h recorded as ended (unknown).")
        # Risk webhook deliveries left by a stopped `calldesk risk deliver --watch` go out here too.
        call_command("risk", "deliver", stdout=self.stdout, stderr=self.stderr)
        if not options["skip_retention"]:
            call_command("retention", stdout=self.stdout, stderr=self.stderr)
        # After retention, which changes old days: the dashboards' first views count nothing.
        call_command("rollup", stdout=self.stdout, stderr=self.stderr)
