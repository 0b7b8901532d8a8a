"""The URL a phone system should open for a form, and reading a URL an admin pastes.

Pure: the tester hands the pairs parsed here to `telephony.services.read_call`, the very
reading the endpoint uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit

from calldesk.lib.middleware import TELEPHONY_PATH

URL_LENGTH_LIMIT = 256  # some browsers and phone systems cut URLs here
BUILTIN_PLACEHOLDERS = (("agent", "{agent}"), ("callStart", "{callStart}"), ("ani", "{ani}"))
PLACEHOLDER_RE = re.compile(r"^[^\s&#=]{1,100}$")

# Realistic filled values, to tell whether real URLs would stay under the limit.
SAMPLE_VALUES = {"agent": "firstname.lastname@helpline.example.org", "callStart": "2008-09-22T14:01:54Z"}
SAMPLE_ANI = "%2B19991234567"
SAMPLE_ANY_VALUE = "8886201111"  # a mapped parameter with no fixed value: a DNIS-sized value


@dataclass(frozen=True)
class Slot:
    parameter: str  # as written in the URL
    placeholder: str  # what the admin's phone system puts there, e.g. {ani} or ${CALLERID(num)}
    sample: str  # a realistic filled value


@dataclass(frozen=True)
class UrlTemplate:
    template: str
    sample: str

    @property
    def too_long(self) -> bool:
        return len(self.sample) > URL_LENGTH_LIMIT


def slots_for(mapped: dict[str, list[str]], placeholders: dict[str, str]) -> list[Slot]:
    """`mapped`: each mapped parameter → the values its rules name ("" = any value)."""
    slots = [Slot(name, placeholders.get(name.lower()) or default, "") for name, default in BUILTIN_PLACEHOLDERS]
    for name, values in mapped.items():
        longest = max((v for v in values if v), key=len, default="")
        slots.append(Slot(name, placeholders.get(name) or "{" + name + "}", longest or SAMPLE_ANY_VALUE))
    return slots


def build(base: str, report_ver: str, slots: list[Slot]) -> UrlTemplate:
    head = f"{base.rstrip('/')}{TELEPHONY_PATH}?reportVer={quote(report_ver)}"
    template = head + "".join(f"&{s.parameter}={s.placeholder}" for s in slots)
    sample = head + "".join(f"&{s.parameter}={_sample(s)}" for s in slots)
    return UrlTemplate(template, sample)


def _sample(slot: Slot) -> str:
    if slot.parameter == "ani":
        return SAMPLE_ANI
    return quote(slot.sample or SAMPLE_VALUES.get(slot.parameter, ""), safe="")


class NotATelephonyUrl(ValueError):
    pass


def pairs_from_url(url: str) -> list[tuple[str, str]]:
    """The parameters of a pasted telephony URL, decoded as the endpoint decodes them.

    Any host is accepted (the admin may paste their phone system's URL for iCarol); the
    path must be /Telephony/GetCallReport in any case. A bare `?query` is accepted too.
    """
    text = url.strip()
    if text.startswith("?"):
        return parse_qsl(text[1:], keep_blank_values=True)
    if "://" not in text and not text.startswith("/"):
        text = "//" + text  # "calldesk.example.org/Telephony/…" without a scheme
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise NotATelephonyUrl(f"This is not a URL that can be read ({exc}).") from exc
    if parts.path.rstrip("/").lower() != TELEPHONY_PATH.lower():
        raise NotATelephonyUrl(
            f"The path is `{parts.path[:100] or '/'}`; a phone system's URL goes to {TELEPHONY_PATH}?reportVer=…"
        )
    return parse_qsl(parts.query, keep_blank_values=True)
