"""The editor's check of each value a specialist types, by field type (SPEC §3).

One check for autosave, submit, close and corrections alike, with the limits of
callforms.definition (the same a phone system's values and config files meet). A value that
does not pass gives a short sentence for its field; the draft keeps it as typed (see
reports.forms) and submit refuses it. Pure: no ORM, no HTTP.
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
from calldesk.callforms.referrals import read_referrals
from calldesk.lib.emails import validate_address
from calldesk.lib.phones import read_phone
from calldesk.lib.times import YEARS_PROBLEM, year_problem

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
