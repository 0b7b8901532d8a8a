"""One codec per field type: the only place that knows what a value of each type may be.

- `check_value`: what a specialist typed in the editor (autosave, submit, close, corrections);
- `read_sent`: what a phone system sent through a mapping (more spellings: `yes`/`1`, times with
  offsets or in the compact forms phone systems use) — with the same limits, so a value placed on
  the form by a mapping always passes the check at submit;
- `show`: a stored value as people read it (report view, history, CSV);
- `cell`: a stored value typed for a spreadsheet (numbers, dates and times as such).

A value that does not pass gives a short sentence for the specialist; readers that word it for
someone else (an admin reading a call's notices) ask `expected` what the type takes. Pure: no ORM,
no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from calldesk.callforms.definition import (
    MAX_LONG_TEXT,
    MAX_TEXT,
    NUMBER_DECIMALS,
    NUMBER_DIGITS,
    FieldDef,
    FieldType,
    stored_number,
)
from calldesk.callforms.referrals import read_referrals, referrals_text
from calldesk.lib.emails import validate_address
from calldesk.lib.phones import read_phone
from calldesk.lib.times import YEARS, YEARS_PROBLEM, parse_time, year_problem

MAX_PHONE = 200  # the length of CallReport.phone_raw
MAX_EMAIL = 320  # RFC 3696's longest address
REQUIRED = "This field is required."


@dataclass(frozen=True)
class Checked:
    value: Any  # the value in its stored JSON shape (None or [] when empty); None when refused
    problem: str = ""  # "" when the value passes its check

    @property
    def ok(self) -> bool:
        return not self.problem


def no_nul(text: str) -> str:
    """`text` without NUL characters, which PostgreSQL cannot keep in text or JSON."""
    return text.replace("\x00", "")


def _text(text: str, limit: int) -> Checked:
    if "\x00" in text:
        return Checked(None, "Remove the null characters from this text.")
    value = text.strip()
    if len(value) > limit:
        return Checked(None, f"At most {limit} characters, this has {len(value)}.")
    return Checked(value or None)


def check_number(text: str) -> Checked:
    value = text.strip()
    if not value:
        return Checked(None)
    try:
        number = Decimal(value)
    except InvalidOperation:
        return Checked(None, "Enter a number, e.g. 12 or 3.5.")
    exponent = number.as_tuple().exponent
    if not number.is_finite() or not isinstance(exponent, int):
        return Checked(None, "Enter a number, e.g. 12 or 3.5.")
    whole = NUMBER_DIGITS - NUMBER_DECIMALS
    if number.adjusted() >= whole or exponent < -NUMBER_DECIMALS:
        return Checked(None, f"At most {whole} digits before the point and {NUMBER_DECIMALS} after.")
    return Checked(stored_number(number))


def check_date(text: str) -> Checked:
    value = text.strip()
    if not value:
        return Checked(None)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return Checked(None, "Enter a date (year-month-day).")
    return Checked(None, year_problem(parsed)) if year_problem(parsed) else Checked(parsed.isoformat())


def _local_datetime(text: str) -> datetime | None:
    value = text.strip()
    # A date alone is not a time; fromisoformat would read it as midnight.
    if len(value) < 16 or not value.isascii():
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def read_local_datetime(text: str, zone: ZoneInfo) -> datetime | None:
    """A datetime-local input's value (wall-clock time in the organization's zone), in UTC;
    None when it is not one, or lies outside the years Calldesk reads (where a wall-clock time
    may not even have a UTC instant)."""
    parsed = _local_datetime(text)
    if parsed is None or year_problem(parsed):
        return None
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    return aware.astimezone(UTC)


def _datetime_problem(text: str, otherwise: str) -> str:
    parsed = _local_datetime(text)
    return YEARS_PROBLEM if parsed is not None and year_problem(parsed) else otherwise


def check_datetime(text: str, zone: ZoneInfo) -> Checked:
    if not text.strip():
        return Checked(None)
    parsed = read_local_datetime(text, zone)
    if parsed is None:
        return Checked(None, _datetime_problem(text, "Enter a date and time."))
    return Checked(parsed.isoformat())


def check_call_start(text: str, zone: ZoneInfo) -> Checked:
    """The built-in Call start: required, a date and time (its value a UTC datetime)."""
    if not text.strip():
        return Checked(None, REQUIRED)
    parsed = read_local_datetime(text, zone)
    if parsed is None:
        return Checked(None, _datetime_problem(text, "Enter the date and time the call started."))
    return Checked(parsed)


def check_phone(text: str, region: str) -> Checked:
    """A phone number as typed (kept as typed when readable), or a problem."""
    value = text.strip()
    if not value:
        return Checked("")
    if len(value) > MAX_PHONE:
        return Checked(None, f"At most {MAX_PHONE} characters.")
    if not read_phone(value, region).ok:
        return Checked(None, "This is not a phone number.")
    return Checked(value)


def check_email(text: str) -> Checked:
    value = text.strip()
    if not value:
        return Checked(None)
    if len(value) > MAX_EMAIL:
        return Checked(None, f"At most {MAX_EMAIL} characters.")
    try:
        validate_address(value)  # the one check of an address, Unicode allowed
    except ValidationError:
        return Checked(None, "Enter an email address, e.g. name@example.org.")
    return Checked(value)


YES_NO = {"true": True, "false": False, "unknown": None, "": None}


def check_value(item: FieldDef, posted: str | list[str], zone: ZoneInfo, region: str) -> Checked:
    """`posted` (a list for multi-choice, text otherwise) checked as `item`'s type."""
    kind = item.type
    labels = {choice.label for choice in item.choices}
    if kind == FieldType.MULTI_CHOICE:
        chosen = list(dict.fromkeys(posted if isinstance(posted, list) else [posted] if posted else []))
        unknown = [label for label in chosen if label not in labels]
        if unknown:
            return Checked(None, f"“{unknown[0]}” is not one of the choices.")
        # Stored in the form's order of choices, whatever order the browser sent.
        return Checked([choice.label for choice in item.choices if choice.label in chosen])
    text = posted[-1] if isinstance(posted, list) and posted else posted if isinstance(posted, str) else ""
    if kind == FieldType.CHOICE:
        if text and text not in labels:
            return Checked(None, f"“{text}” is not one of the choices.")
        return Checked(text or None)
    if kind == FieldType.YES_NO:
        if text not in YES_NO:
            return Checked(None, "Choose yes, no or unknown.")
        return Checked(YES_NO[text])
    if kind == FieldType.NUMBER:
        return check_number(text)
    if kind == FieldType.DATE:
        return check_date(text)
    if kind == FieldType.DATETIME:
        return check_datetime(text, zone)
    if kind == FieldType.PHONE:
        checked = check_phone(text, region)
        return Checked(checked.value or None, checked.problem)
    if kind == FieldType.EMAIL:
        return check_email(text)
    if kind == FieldType.REFERRALS:
        value, problem = read_referrals(text)
        return Checked(value, problem)
    return _text(text, MAX_LONG_TEXT if kind == FieldType.LONG_TEXT else MAX_TEXT)


def is_empty(value: Any) -> bool:
    return value in (None, "", [])


# What a phone system may send for yes and no (`1`, `Y`, `on` …); the editor posts true/false/unknown.
SENT_TRUE = frozenset({"1", "y", "yes", "true", "on"})
SENT_FALSE = frozenset({"0", "n", "no", "false", "off"})


def expected(item: FieldDef) -> str:
    """What a field of this type takes, for a sentence like "Age takes a number, not `x`"."""
    kind = item.type
    whole = NUMBER_DIGITS - NUMBER_DECIMALS
    return {
        FieldType.YES_NO: "yes or no",
        FieldType.NUMBER: f"a number with at most {whole} digits before the point and {NUMBER_DECIMALS} after",
        FieldType.DATE: f"a date (YYYY-MM-DD) from the year {YEARS[0]} to {YEARS[-1]}",
        FieldType.DATETIME: f"a date and time from the year {YEARS[0]} to {YEARS[-1]}",
        FieldType.EMAIL: "an email address",
        FieldType.PHONE: f"a phone number of at most {MAX_PHONE} characters",
        FieldType.LONG_TEXT: f"at most {MAX_LONG_TEXT} characters",
    }.get(kind, f"at most {MAX_TEXT} characters")


def read_sent(item: FieldDef, text: str, zone: ZoneInfo) -> Checked:
    """A value a phone system sent for a field that is not a choice, in its stored shape, or a
    problem: the editor's checks, plus the spellings phone systems use. NUL characters, which
    the database cannot keep, are dropped rather than refused: nobody can retype a sent value."""
    value = no_nul(text).strip()
    kind = item.type
    if kind == FieldType.YES_NO:
        lowered = value.lower()
        if lowered in SENT_TRUE or lowered in SENT_FALSE:
            return Checked(lowered in SENT_TRUE)
        return Checked(None, "Choose yes, no or unknown.")
    if kind == FieldType.DATETIME:
        parsed = parse_time(value, zone)
        if parsed is None or year_problem(parsed):
            return Checked(None, YEARS_PROBLEM if parsed is not None else "Enter a date and time.")
        return Checked(parsed.astimezone(UTC).isoformat())
    if kind == FieldType.PHONE:
        return _text(value, MAX_PHONE)
    return check_value(item, value, zone, region="")


def show(kind: str | None, stored: Any, zone: ZoneInfo, separator: str = ", ") -> str:
    """A stored value of a field of type `kind` as people read it: yes/no/unknown in words,
    choices joined, a date and time in the organization's zone, empty as ""."""
    if kind == FieldType.YES_NO and stored in (None, ""):
        return "Unknown"
    if stored is None:
        return ""
    if isinstance(stored, bool):
        return "Yes" if stored else "No"
    if isinstance(stored, dict):  # a referrals field's document
        return referrals_text(stored)
    if isinstance(stored, list):
        return separator.join(str(entry) for entry in stored)
    if kind == FieldType.DATETIME and stored != "":
        moment = _stored_moment(stored)
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else str(stored)
    return str(stored)


def cell(kind: str | None, stored: Any, zone: ZoneInfo) -> Any:
    """A stored value of a field of type `kind` for a spreadsheet cell: a number, a date, a date
    and time (in the organization's zone, without an offset, as spreadsheets keep them) or text."""
    if stored in (None, "") and kind != FieldType.YES_NO:
        return None
    if kind == FieldType.NUMBER and isinstance(stored, str):
        try:
            return Decimal(stored)
        except InvalidOperation:
            return stored
    if kind == FieldType.DATE and isinstance(stored, str):
        try:
            return date.fromisoformat(stored)
        except ValueError:
            return stored
    if kind == FieldType.DATETIME:
        moment = _stored_moment(stored)
        return moment.astimezone(zone).replace(tzinfo=None) if moment else stored
    return show(kind, stored, zone, separator="; ")


def _stored_moment(stored: Any) -> datetime | None:
    """A stored date and time (ISO-8601 text or datetime, UTC when naive), or None."""
    if isinstance(stored, str):
        try:
            stored = datetime.fromisoformat(stored)
        except ValueError:
            return None
    if not isinstance(stored, datetime):
        return None
    return stored if stored.tzinfo else stored.replace(tzinfo=UTC)
