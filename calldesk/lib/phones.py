"""Reading the caller ID a phone system sends (the `ani` parameter).

Pure: no Django, no database, so it can be property-tested alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

# What phone systems send when the caller's number is not available.
WITHHELD_WORDS = frozenset(
    {"anonymous", "restricted", "unknown", "private", "unavailable", "withheld", "blocked", "none", "null"}
)
_ALLOWED = re.compile(r"^[0-9+()\-.\s/]+$")
# `<unknown>` (Asterisk), `sip:anonymous@anonymous.invalid` (RFC 3323), `"Anonymous"` (quoted).
_WRAPPING = re.compile(r"^(?:sips?:)?(?P<word>[a-z ]+?)(?:@.*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class PhoneReading:
    raw: str
    e164: str  # "" when the number is withheld or unreadable
    display: str  # how people read it, e.g. "+1 999-123-4567"
    problem: str  # "" when readable; else a sentence for the form

    @property
    def ok(self) -> bool:
        return bool(self.e164)


def read_phone(raw: str, region: str) -> PhoneReading:
    """Normalise a caller ID to E.164 in the organization's default region."""
    value = raw.strip()
    if not value:
        return PhoneReading(raw, "", "", "")
    if _withheld_word(value):
        return PhoneReading(raw, "", "", f"The caller's number was withheld ({value[:40]}).")
    digits = re.sub(r"\D", "", value)
    if not _ALLOWED.match(value) or not digits:
        return PhoneReading(raw, "", "", "The caller's number could not be read.")
    if set(digits) == {"0"}:
        return PhoneReading(raw, "", "", "The caller's number was withheld (all zeros).")
    number = _possible(value, region or "US")
    if number is None and value[0].isdigit():
        # An unencoded `+` in a URL arrives as a space: `+442079460958` reads `442079460958`.
        # Taken as international only when that is a valid number.
        number = _possible("+" + value, None)
        if number is not None and not phonenumbers.is_valid_number(number):
            number = None
    if number is None:
        return PhoneReading(raw, "", "", "The caller's number could not be read.")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return PhoneReading(raw, e164, display, "")


def _withheld_word(value: str) -> bool:
    """`anonymous`, `Restricted` (Five9's ANI), `<unknown>`, `sip:anonymous@anonymous.invalid`."""
    bare = value.strip("<>\"' ")
    match = _WRAPPING.match(bare)
    return bare.lower() in WITHHELD_WORDS or (match is not None and match["word"].lower() in WITHHELD_WORDS)


def _possible(value: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    # A local-only number (7 digits in the US) has no area code to place it; it is not E.164.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return number


def normalise_query(value: str, region: str) -> str:
    """A number as a person types it into a search box, as E.164, or "" if it is not one."""
    return read_phone(value, region).e164


def display_e164(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def shown_number(e164: str, region: str, sent: str = "") -> str:
    """A number as lists show it: in national form for the organization's own region
    (`(999) 123-4567`), in international form from elsewhere (`+44 20 7946 0958`); what was
    sent when it could not be read as a number (the report keeps what was sent either way)."""
    if not e164:
        return sent
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return sent or e164
    # By country code, not by region: a number the metadata does not know to be valid (the
    # demo's 999 area code) is still a home number when it has the home country code.
    if number.country_code == phonenumbers.country_code_for_region((region or "US").upper()):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
