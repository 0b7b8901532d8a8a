"""The limits on what an organization's configuration may hold: one set for the admin pages,
`calldesk config import` and the API (docs/config.md states each one).

They keep every page of an organization quick: a form is read whole on every screen pop,
filter bar and export, so a form of 20,000 fields or 200,000 choices made every page of its
organization take 15-36 s. Columns with a database length (names, emails, reportVers) keep
that length as their limit; these are the limits nothing else enforces. Pure: no Django.
"""

from __future__ import annotations

# A text setting without a column length of its own (a time zone name, a password).
MAX_SETTING_TEXT = 1_000

# Organization settings.
IDLE_TIMEOUT_MINUTES = (1, 24 * 60)  # at least a minute, at most a day
RETENTION_DAYS = (1, 36_500)  # about 100 years

# A form's definition (one revision).
MAX_FIELDS = 100
MAX_CHOICES_PER_FIELD = 200
MAX_CHOICES_PER_FORM = 1_000
MAX_CALL_TYPES = 50
MAX_FIELD_LABEL = 200
MAX_HELP_TEXT = 500
MAX_CHOICE_LABEL = 200
MAX_CHOICE_CODE = 64
MAX_CALL_TYPE_LABEL = 100
MAX_MAPPINGS_PER_FORM = 500
# Attempts at a follow-up before it closes as unreachable (Lifeline's guidance: 3 to 5).
FOLLOW_UP_ATTEMPTS = (1, 10)
DEFAULT_FOLLOW_UP_ATTEMPTS = 3

# The configuration document as a whole, bounded before it is built (calldesk.configio.document).
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_DOCUMENT_DEPTH = 32  # the format itself nests 10 levels deep
MAX_DOCUMENT_NODES = 200_000  # values, lists and mappings; an alias counts as what it repeats

NUL_PROBLEM = "must not contain a NUL character"


def text_problem(value: str, limit: int) -> str:
    """ "" when `value` fits a text setting of at most `limit` characters, else the problem.
    NUL is refused everywhere: PostgreSQL cannot store it, so SQLite must not either."""
    if "\x00" in value:
        return NUL_PROBLEM
    if len(value) > limit:
        return f"is longer than {limit:,} characters"
    return ""


def range_problem(value: int, bounds: tuple[int, int]) -> str:
    low, high = bounds
    return "" if low <= value <= high else f"must be a whole number from {low:,} to {high:,}"
