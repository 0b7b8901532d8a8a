"""The `calldesk` console command: Django's management commands plus Calldesk's own
(`calldesk demo`, `calldesk config import FILE`, `calldesk config export`, `calldesk serve`, …).

`calldesk`, `calldesk --help` and `calldesk help` list Calldesk's own commands, each with what it
does (read from the command's own `help`, so a new command lists itself), and the few Django
commands an operator needs; `calldesk help --django` lists all of Django's. `calldesk --version`
prints Calldesk's version."""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version

HELP_ARGS: tuple[list[str], ...] = ([], ["-h"], ["--help"], ["help"])
# Django's commands an operator of Calldesk uses, with what they do here.
DJANGO_COMMANDS = [
    ("migrate", "Create or update the database tables (run after every upgrade)."),
    ("createsuperuser", "Make a first login for the installation (organizations come from config import)."),
    ("changepassword", "Set a user's password from the console."),
    ("check", "Check the settings and the installation for problems (add --deploy for production)."),
    ("runserver", "Django's development server; use `calldesk serve` in production."),
]


def calldesk_version() -> str:
    try:
        return version("calldesk")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def own_commands() -> list[tuple[str, str]]:
    """(name, first line of its help) of every management command in a calldesk app."""
    from django.core.management import get_commands, load_command_class

    found = []
    for name, app in sorted(get_commands().items()):
        if not app.startswith("calldesk"):
            continue
        text = str(load_command_class(app, name).help or "").strip()
        found.append((name, text.splitlines()[0] if text else ""))
    return found


def overview() -> str:
    width = max(len(name) for name, _ in [*own_commands(), *DJANGO_COMMANDS]) + 2
    lines = [
        f"Calldesk {calldesk_version()}: helpline call reports opened by the phone system.",
        "",
        "Usage: calldesk COMMAND [options]    (calldesk help COMMAND for a command's options)",
        "",
        "Calldesk's commands:",
        *(f"  {name.ljust(width)}{text}" for name, text in own_commands()),
        "",
        "Django's commands you may need:",
        *(f"  {name.ljust(width)}{text}" for name, text in DJANGO_COMMANDS),
        "",
        "calldesk help --django lists all of Django's commands. Settings come from environment",
        "variables (DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS, …; see README.md).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calldesk.settings")
    args = argv[1:]
    if args in (["--version"], ["version"]):
        print(f"calldesk {calldesk_version()}")
        return
    if args in HELP_ARGS:
        import django

        django.setup()
        print(overview())
        return
    if args == ["help", "--django"]:
        argv = [argv[0], "help"]
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
