"""`calldesk demo`: load the demo organization and print its logins and the example URLs."""

from __future__ import annotations

from importlib import resources
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from calldesk.accounts.models import Organization
from calldesk.configio.document import ConfigError, load_text
from calldesk.configio.importer import import_document
from calldesk.resources.services import load_demo_directory

# The three example telephony URLs of the phone systems' contract, exactly as written there.
EXAMPLE_QUERIES = (
    "reportVer=9991234&agent=34&ani=999-123-4567",
    "reportVer=1234567&agent=bob%40acme.com&ani=9991234567&dnis=8886201111",
    "reportVer=1234567&language=112211&callStart=2008-09-22T14:01:54Z",
)


def demo_document() -> Any:
    text = resources.files("calldesk.configio").joinpath("demo.yaml").read_text(encoding="utf-8")
    return load_text(text, "demo.yaml")


class Command(BaseCommand):
    help = "Load the demo organization (idempotent) and print its logins and the example telephony URLs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where Calldesk runs (default: %(default)s)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        document = demo_document()
        try:
            summary = import_document(document)
        except ConfigError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError("the demo data could not be loaded; nothing was changed.") from None
        self.stdout.write(f"Demo organization: {summary}.")
        directory = load_demo_directory(Organization.objects.get(slug=document["organizations"][0]["slug"]))
        self.stdout.write(f"Demo resource directory: {'nothing changed' if not directory.changed() else 'loaded'}.")
        self.stdout.write("Demo logins (email / password / role / agent ID the phone system sends):")
        needs_app = []
        for org in document["organizations"]:
            requiring = Organization.objects.get(slug=org["slug"]).roles_requiring_two_factor
            for user in org["users"]:
                agent = f"agent {user['agent_id']}" if user.get("agent_id") else "no agent ID"
                self.stdout.write(f"  {user['email']:<18} {user['password']:<16} {user['role']:<11} {agent}")
                if user["role"] in requiring:
                    needs_app.append(user["email"])
        if needs_app:
            self.stdout.write(
                f"{', '.join(needs_app)} sign in with an authenticator app too (their role requires it): "
                "have one ready on a phone (any TOTP app), the first login shows the QR code to scan."
            )
        self.stdout.write("Example telephony URLs (log in first, or be asked to):")
        base = options["base_url"].rstrip("/")
        telephony = reverse("telephony-get-call-report")
        for query in EXAMPLE_QUERIES:
            self.stdout.write(f"  {base}{telephony}?{query}")
