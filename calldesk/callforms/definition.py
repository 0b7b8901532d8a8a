"""A form revision's definition: its fields, choices and call types.

A revision is immutable once published, so it is stored as one JSON document and read
through these dataclasses. `parse_definition` is the one validation of that document,
used by config import and the admin pages alike. Pure: no ORM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from calldesk.lib import limits


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    YES_NO = "yes_no"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    DATE = "date"
    DATETIME = "datetime"
    PHONE = "phone"
    EMAIL = "email"
    REFERRALS = "referrals"  # services given and unmet needs (callforms.referrals)


CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTI_CHOICE)
# Field types whose value is text a caller's name or address may be written in: a personal one
# is found by its words (reports.tokens), any other personal one by its keyed hash.
TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE})
# What a field holds at most, the same for what a specialist types and what a phone system sends.
MAX_TEXT = 2000
MAX_LONG_TEXT = 20000
NUMBER_DIGITS = 20  # in all
NUMBER_DECIMALS = 6  # after the point


def stored_number(number: Decimal) -> str:
    """A number field's value as stored: plain digits, no exponent, no trailing zeros
    (`1E+3` and `1000` → "1000", `5.0` → "5"), however it was written."""
    return format(number.normalize(), "f")


# The three built-in fields every form has; custom fields may not reuse their keys.
BUILTIN_KEYS = ("agent", "call_start", "phone", "call_type")
# The telephony URL's parameters with a meaning of their own: no mapping may use them.
RESERVED_PARAMETERS = ("reportver", "agent", "callstart", "ani", "callid")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

DEFAULT_CALL_TYPES: list[dict[str, Any]] = [
    {"key": "call", "label": "Call", "data": True},
    {"key": "hang_up", "label": "Hang-up", "data": False},
    {"key": "silent", "label": "Silent", "data": False},
    {"key": "wrong_number", "label": "Wrong number", "data": False},
    {"key": "prank", "label": "Prank", "data": False},
]


@dataclass(frozen=True)
class Choice:
    label: str
    code: str = ""


@dataclass(frozen=True)
class FieldDef:
    key: str
    label: str
    type: FieldType
    required: bool = False
    help_text: str = ""
    personal: bool = False
    choices: tuple[Choice, ...] = ()

    def choice_for(self, sent: str) -> Choice | None:
        """The choice a phone system means by `sent`: its code first, then its label."""
        value = sent.strip()
        for choice in self.choices:
            if choice.code and choice.code == value:
                return choice
        lowered = value.casefold()
        for choice in self.choices:
            if choice.label.casefold() == lowered:
                return choice
        return None


@dataclass(frozen=True)
class CallType:
    key: str
    label: str
    data: bool  # a data call type needs a full report; a non-data one closes in one click
    # A report of this call type offers scheduling a follow-up (by default: the data call types).
    follow_ups: bool = True

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "label": self.label, "data": self.data}
        if self.follow_ups != self.data:  # written only where it is not the default
            data["follow_ups"] = self.follow_ups
        return data


@dataclass(frozen=True)
class Definition:
    fields: tuple[FieldDef, ...]
    call_types: tuple[CallType, ...] = field(default_factory=tuple)
    # A follow-up closes as unreachable after this many attempts without reaching the person.
    follow_up_attempts: int = limits.DEFAULT_FOLLOW_UP_ATTEMPTS

    def field(self, key: str) -> FieldDef | None:
        for item in self.fields:
            if item.key == key:
                return item
        return None

    def call_type(self, key: str) -> CallType | None:
        for item in self.call_types:
            if item.key == key:
                return item
        return None

    @property
    def default_call_type(self) -> CallType:
        return next((c for c in self.call_types if c.data), self.call_types[0])

    def offers_follow_ups(self, call_type: str) -> bool:
        found = self.call_type(call_type)
        return found is not None and found.follow_ups

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "fields": [_field_json(f) for f in self.fields],
            "call_types": [c.to_json() for c in self.call_types],
        }
        # Defaults are left out, so revisions published before the setting existed compare equal.
        if self.follow_up_attempts != limits.DEFAULT_FOLLOW_UP_ATTEMPTS:
            data["follow_up_attempts"] = self.follow_up_attempts
        return data


def _field_json(item: FieldDef) -> dict[str, Any]:
    data: dict[str, Any] = {"key": item.key, "label": item.label, "type": item.type.value}
    if item.required:
        data["required"] = True
    if item.help_text:
        data["help_text"] = item.help_text
    if item.personal:
        data["personal"] = True
    if item.choices:
        data["choices"] = [{"label": c.label, "code": c.code} if c.code else {"label": c.label} for c in item.choices]
    return data


@dataclass(frozen=True)
class MappingRule:
    """A form's parameter mapping (`callforms.models.Mapping`) as plain data, for the
    telephony reading, the admin pages and config import alike."""

    parameter: str  # lower-case as stored; a rule read from a file may still be in any case
    value: str  # "" = any value
    field_key: str
    field_value: str  # "" = the value as sent


class DefinitionError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_definition(data: Any, where: str = "") -> Definition:
    """Validate a definition document; raise DefinitionError listing every problem with its place."""
    problems: list[str] = []
    at = f"{where}." if where else ""
    if not isinstance(data, dict):
        raise DefinitionError([f"{where or 'definition'}: must be a mapping with `fields`"])
    raw_fields = data.get("fields", [])
    if not isinstance(raw_fields, list):
        problems.append(f"{at}fields: must be a list")
        raw_fields = []
    if len(raw_fields) > limits.MAX_FIELDS:
        # Checked before reading them: a form of 20,000 fields would only list 20,000 problems.
        raise DefinitionError(
            [f"{at}fields: a form has at most {limits.MAX_FIELDS} fields ({len(raw_fields):,} given)"]
        )
    fields: list[FieldDef] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_fields):
        place = f"{at}fields[{index}]"
        parsed = _parse_field(raw, place, problems)
        if parsed is None:
            continue
        if parsed.key in seen:
            problems.append(f"{place}.key: `{parsed.key}` is used twice")
        seen.add(parsed.key)
        fields.append(parsed)
    choices = sum(len(item.choices) for item in fields)
    if choices > limits.MAX_CHOICES_PER_FORM:
        problems.append(
            f"{at}fields: a form has at most {limits.MAX_CHOICES_PER_FORM:,} choices in all ({choices:,} given)"
        )
    call_types = _parse_call_types(data.get("call_types", DEFAULT_CALL_TYPES), f"{at}call_types", problems)
    attempts = data.get("follow_up_attempts", limits.DEFAULT_FOLLOW_UP_ATTEMPTS)
    if (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or limits.range_problem(attempts, limits.FOLLOW_UP_ATTEMPTS)
    ):
        problems.append(f"{at}follow_up_attempts: {limits.range_problem(-1, limits.FOLLOW_UP_ATTEMPTS)}")
        attempts = limits.DEFAULT_FOLLOW_UP_ATTEMPTS
    unknown = set(data) - {"fields", "call_types", "follow_up_attempts"}
    for key in sorted(unknown):
        problems.append(f"{at}{key}: unknown setting")
    if problems:
        raise DefinitionError(problems)
    return Definition(tuple(fields), tuple(call_types), attempts)


def _text(
    raw: dict[str, Any], key: str, place: str, problems: list[str], required: bool = True, limit: int = 200
) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        problems.append(f"{place}.{key}: must be text")
        return ""
    if required and not value.strip():
        problems.append(f"{place}.{key}: is required")
    if problem := limits.text_problem(value.strip(), limit):
        problems.append(f"{place}.{key}: {problem}")
        return ""
    return value.strip()


def _flag(raw: dict[str, Any], key: str, place: str, problems: list[str]) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{place}.{key}: must be true or false")
        return False
    return value


def _parse_field(raw: Any, place: str, problems: list[str]) -> FieldDef | None:
    if not isinstance(raw, dict):
        problems.append(f"{place}: must be a mapping")
        return None
    before = len(problems)
    key = _text(raw, "key", place, problems)
    if key and not KEY_RE.match(key):
        problems.append(f"{place}.key: `{key}` must be lower-case letters, digits and _ , starting with a letter")
    if key in BUILTIN_KEYS:
        problems.append(f"{place}.key: `{key}` is a built-in field")
    label = _text(raw, "label", place, problems, limit=limits.MAX_FIELD_LABEL)
    type_name = _text(raw, "type", place, problems)
    try:
        type_ = FieldType(type_name)
    except ValueError:
        problems.append(f"{place}.type: `{type_name}` is not one of {', '.join(t.value for t in FieldType)}")
        type_ = FieldType.TEXT
    choices = _parse_choices(raw.get("choices", []), f"{place}.choices", problems)
    if type_ in CHOICE_TYPES and not choices:
        problems.append(f"{place}.choices: a {type_.value} field needs at least one choice")
    if type_ not in CHOICE_TYPES and choices:
        problems.append(f"{place}.choices: only choice fields have choices")
    for extra in sorted(set(raw) - {"key", "label", "type", "required", "help_text", "personal", "choices"}):
        problems.append(f"{place}.{extra}: unknown setting")
    required = _flag(raw, "required", place, problems)
    personal = _flag(raw, "personal", place, problems)
    help_text = _text(raw, "help_text", place, problems, required=False, limit=limits.MAX_HELP_TEXT)
    if len(problems) > before:
        return None
    return FieldDef(key, label, type_, required, help_text, personal, tuple(choices))


def _parse_choices(raw: Any, place: str, problems: list[str]) -> list[Choice]:
    if not isinstance(raw, list):
        problems.append(f"{place}: must be a list")
        return []
    if len(raw) > limits.MAX_CHOICES_PER_FIELD:
        problems.append(f"{place}: a field has at most {limits.MAX_CHOICES_PER_FIELD} choices ({len(raw):,} given)")
        return []
    choices: list[Choice] = []
    labels: set[str] = set()
    codes: set[str] = set()
    for index, item in enumerate(raw):
        where = f"{place}[{index}]"
        if isinstance(item, str):
            item = {"label": item}
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a label or a mapping with label and code")
            continue
        label = _text(item, "label", where, problems, limit=limits.MAX_CHOICE_LABEL)
        code = _text(item, "code", where, problems, required=False, limit=limits.MAX_CHOICE_CODE)
        if label.casefold() in labels:
            problems.append(f"{where}.label: `{label}` is used twice")
        if code and code in codes:
            problems.append(f"{where}.code: `{code}` is used twice")
        labels.add(label.casefold())
        if code:
            codes.add(code)
        choices.append(Choice(label, code))
    return choices


def _parse_call_types(raw: Any, place: str, problems: list[str]) -> list[CallType]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{place}: must be a non-empty list")
        return []
    if len(raw) > limits.MAX_CALL_TYPES:
        problems.append(f"{place}: a form has at most {limits.MAX_CALL_TYPES} call types ({len(raw):,} given)")
        return []
    result: list[CallType] = []
    keys: set[str] = set()
    for index, item in enumerate(raw):
        where = f"{place}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping with key, label and data")
            continue
        key = _text(item, "key", where, problems)
        if key and not KEY_RE.match(key):
            problems.append(f"{where}.key: `{key}` must be lower-case letters, digits and _")
        if key in keys:
            problems.append(f"{where}.key: `{key}` is used twice")
        keys.add(key)
        label = _text(item, "label", where, problems, limit=limits.MAX_CALL_TYPE_LABEL)
        data = item.get("data", True)
        if not isinstance(data, bool):
            problems.append(f"{where}.data: must be true or false")
            data = True
        follow_ups = item.get("follow_ups", data)
        if not isinstance(follow_ups, bool):
            problems.append(f"{where}.follow_ups: must be true or false")
            follow_ups = data
        for extra in sorted(set(item) - {"key", "label", "data", "follow_ups"}):
            problems.append(f"{where}.{extra}: unknown setting")
        result.append(CallType(key, label, data, follow_ups))
    if result and not any(c.data for c in result):
        problems.append(f"{place}: at least one call type must be a data call type")
    return result
