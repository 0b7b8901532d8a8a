"""How the telephony URL's parameters are read: names, repeats, agent and mappings.

Pure (no HTTP, no ORM) so every rule of the telephony URL can be tested and fuzzed alone.
`calldesk.telephony.services` feeds it from the database; the endpoint, the API and
the admins' URL tester all read a call through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from calldesk.callforms import codecs
from calldesk.callforms.definition import (
    RESERVED_PARAMETERS,
    Definition,
    FieldDef,
    FieldType,
    MappingRule,
)
from calldesk.lib.crypto import keyed_hash
from calldesk.lib.emails import normalise_email
from calldesk.lib.phones import read_phone


@dataclass
class Params:
    """The parameters as sent, read by the telephony URL's rules."""

    pairs: list[tuple[str, str]]  # as sent, in order
    first: dict[str, str] = field(default_factory=dict)  # lower-case name → first non-empty value
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.first.get(name, "")

    def others(self) -> list[tuple[str, str]]:
        """The non-reserved parameters, one per name (the value that counts)."""
        return [(name, value) for name, value in self.first.items() if name not in RESERVED_PARAMETERS]


def storable(text: str) -> str:
    """`text` without what PostgreSQL cannot store: NUL (`%00` in a URL) and lone surrogates
    (which a JSON body may carry). Both would make saving the call fail."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def read_params(pairs: list[tuple[str, str]]) -> Params:
    params = Params(pairs=[(storable(name), storable(value)) for name, value in pairs])
    counts: dict[str, int] = {}
    for name, value in params.pairs:
        key = name.strip().lower()
        if not key:
            continue
        counts[key] = counts.get(key, 0) + 1
        # An empty value counts as not sent: a later non-empty one is the value.
        if value.strip() and key not in params.first:
            params.first[key] = value.strip()
    for key, count in counts.items():
        if count > 1:
            params.warnings.append(f"The parameter `{key}` was sent {count} times; the first non-empty value is used.")
    return params


def fingerprint(params: Params) -> str:
    """The same URL, whatever the order or case of its parameter names."""
    canonical = sorted((name.strip().lower(), value) for name, value in params.pairs)
    # Keyed: a plain hash of parameters that include the caller's number could be reversed
    # by trying every number.
    return keyed_hash("call", repr(canonical))


@dataclass(frozen=True)
class AgentCandidate:
    user_id: int
    email: str
    agent_id: str


@dataclass(frozen=True)
class AgentMatch:
    user_id: int | None
    problem: str  # why the Agent field is empty, or ""


def looks_like_email(sent: str) -> bool:
    return "@" in sent


def match_agent(sent: str, candidates: list[AgentCandidate]) -> AgentMatch:
    """Exactly one active user whose email (any case) or agent ID is `sent`."""
    value = sent.strip()
    if not value:
        return AgentMatch(None, "")
    if looks_like_email(value):
        found = [c for c in candidates if normalise_email(c.email) == normalise_email(value)]
    else:
        found = [c for c in candidates if c.agent_id == value]
    if len(found) == 1:
        return AgentMatch(found[0].user_id, "")
    shown = value[:80]
    if not found:
        return AgentMatch(None, f"Agent `{shown}` matches no user; the Agent field is left empty.")
    return AgentMatch(None, f"Agent `{shown}` matches {len(found)} users; the Agent field is left empty.")


@dataclass
class Placement:
    parameter: str
    sent: str
    field_key: str
    value: Any
    # The rule's value when it matched as the same phone number written otherwise
    # (`+18886201111` for a rule on `8886201111`); "" for a match as written or any value.
    matched_number: str = ""


@dataclass
class MappingResult:
    values: dict[str, Any] = field(default_factory=dict)
    placements: list[Placement] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    unmapped: list[tuple[str, str]] = field(default_factory=list)


def apply_mappings(
    others: list[tuple[str, str]], rules: list[MappingRule], definition: Definition, zone: ZoneInfo, region: str = ""
) -> MappingResult:
    """Place each parameter's value into the fields its rules name.

    A rule for the exact value wins over a rule for any value of the same parameter. A value
    and a rule's value that both read as phone numbers match by their E.164 form in the
    organization's `region` (`+18886201111` is `8886201111`), when no rule matches as written.
    """
    result = MappingResult()
    for name, sent in others:
        own = [r for r in rules if r.parameter == name]
        if not own:
            result.unmapped.append((name, sent))
            continue
        exact = [r for r in own if r.value and r.value.casefold() == sent.casefold()]
        by_number = set[int]()
        if not exact:
            exact = _same_numbers(sent, [r for r in own if r.value], region)
            by_number = {id(r) for r in exact}
        generic = [r for r in own if not r.value]
        exact_fields = {r.field_key for r in exact}
        chosen = exact + [r for r in generic if r.field_key not in exact_fields]
        if not chosen:
            result.notices.append(f"The value `{_short(sent)}` of `{name}` has no mapping; nothing was filled.")
            result.unmapped.append((name, sent))
            continue
        for rule in chosen:
            target = definition.field(rule.field_key)
            if target is None:
                result.notices.append(
                    f"`{name}` is mapped to the field `{rule.field_key}`, which this form no longer has."
                )
                continue
            value, problem = place_value(target, rule.field_value or sent, result.values.get(target.key), zone)
            if problem:
                result.notices.append(f"`{name}={_short(sent)}`: {problem}")
                continue
            result.values[target.key] = value
            matched = rule.value if id(rule) in by_number else ""
            result.placements.append(Placement(name, sent, target.key, value, matched))
    return result


def _same_numbers(sent: str, rules: list[MappingRule], region: str) -> list[MappingRule]:
    """The rules whose value is the same phone number as `sent`, written another way."""
    number = _e164(sent, region)
    if not number:
        return []
    return [rule for rule in rules if _e164(rule.value, region) == number]


@lru_cache(maxsize=4096)
def _e164(value: str, region: str) -> str:
    """`value` as E.164 when it reads as a phone number (digits, `+`, spaces, dashes…), else "".
    Cached: a form's rule values are read again on every pop."""
    if not _NUMBER_LIKE.match(value) or sum(c.isdigit() for c in value) < 7:
        return ""
    return read_phone(value, region or "US").e164


_NUMBER_LIKE = re.compile(r"^\+?[0-9() .\-/]+$")


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def place_value(target: FieldDef, text: str, current: Any, zone: ZoneInfo) -> tuple[Any, str]:
    """The value `text` puts into `target`, or a problem sentence for the call's notices. Read by
    the field type's codec, so what a mapping places always passes the editor's check."""
    text = text.strip()
    kind = target.type
    if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        choice = target.choice_for(text)
        if choice is None:
            return None, f"`{_short(text)}` is not a choice of {target.label}; it was left empty."
        if kind == FieldType.CHOICE:
            return choice.label, ""
        chosen = list(current or [])
        return (chosen if choice.label in chosen else [*chosen, choice.label]), ""
    if kind == FieldType.REFERRALS:
        return (
            None,
            f"{target.label} is filled from the resource directory, not by the phone system; it was left empty.",
        )
    checked = codecs.read_sent(target, text, zone)
    if checked.problem:
        return None, f"{target.label} takes {codecs.expected(target)}, not `{_short(text)}`; it was left empty."
    return checked.value, ""
