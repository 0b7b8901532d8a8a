"""Reading the `callStart` a phone system sends.

Accepted without doubt: ISO-8601 (with `Z`, an offset, fractions, or no zone = the
organization's zone), `YYYY-MM-DD HH:MM:SS`, Unix seconds (10 digits) and milliseconds
(13 digits), the compact digits dialers and call-centre platforms send (`yyyyMMddHHmmss`,
14 digits, and `yyyyMMddHHmmssfff`, 17, in the organization's zone: neither length is a
Unix time), and the day-month-name form of Five9's timestamps and RFC 1123
(`Mon, 22 Sep 2008 14:01:54`, optionally with `GMT` or an offset). Anything else is
"unreadable": the caller of this module uses now and says so.
Pure: no Django, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

# Unix times outside 2000..2100 are far more likely to be some other number than a time.
_EPOCH_MIN = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
_EPOCH_MAX = datetime(2100, 1, 1, tzinfo=UTC).timestamp()
# A written-out year outside these is a typo, and near year 1 or 9999 the zone arithmetic
# (and showing it in another zone) overflows. Every date people type (filters, report
# fields, the call start) is held to the same years: see calldesk.lib.datefields.
YEARS = range(1900, 2200)
YEARS_PROBLEM = f"Enter a year from {YEARS[0]} to {YEARS[-1]}."
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    # ` 02:00`: a `+02:00` that was not percent-encoded, so the URL made its `+` a space.
    r"(Z|[+-]\d{2}(?::?\d{2})?| \d{2}:?\d{2})?$",
    re.IGNORECASE,
)
# Five9's `@Call.start_timestamp@` and RFC 1123: the month is a name, so day and month cannot be swapped.
# The weekday is not checked: the date says which day it was.
_NAMED = re.compile(
    r"^(?:[a-z]{3},? )?(\d{1,2})[ -]([a-z]{3})[ -](\d{4})[ T](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?: ?(GMT|UTC|Z|[+-]\d{2}:?\d{2}))?$",
    re.IGNORECASE,
)
_MONTHS = {
    name: n
    for n, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_COMPACT_ISO = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class TimeReading:
    when: datetime  # aware, UTC
    problem: str  # "" when the value was read (or absent)


def read_call_start(raw: str | None, zone: ZoneInfo, now: datetime) -> TimeReading:
    if raw is None or raw.strip() == "":
        return TimeReading(now.astimezone(UTC), "")
    value = raw.strip()
    parsed = parse_time(value, zone)
    if parsed is None:
        return TimeReading(
            now.astimezone(UTC), f"The call start sent ({value[:40]}) could not be read; the current time is used."
        )
    return TimeReading(parsed, "")


def parse_time(value: str, zone: ZoneInfo) -> datetime | None:
    # Phone systems send ASCII; superscripts and other scripts' digits pass isdigit() and `\d`
    # yet are not a time anyone sent on purpose (and `int("²")` raises).
    if not value.isascii():
        return None
    if value.isdigit():
        return _from_compact(value, zone) if len(value) in (14, 17) else _from_epoch(value)
    match = _ISO.match(value) or _COMPACT_ISO.match(value) or _NAMED.match(value)
    if not match:
        return None
    groups = match.groups()
    if match.re is _NAMED:
        day, month_name, year, hour, minute, second, fraction, offset = groups
        if month_name.lower() not in _MONTHS:
            return None
        month = str(_MONTHS[month_name.lower()])
        offset = "Z" if offset and offset.upper() in ("GMT", "UTC") else offset
    elif match.re is _ISO:
        year, month, day, hour, minute, second, fraction, offset = groups
    else:
        year, month, day, hour, minute, second, offset = groups
        fraction = None
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    if int(year) not in YEARS:
        return None
    try:
        naive = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro)
    except ValueError:
        return None
    tz = _zone_of(offset, zone)
    if tz is None:
        return None
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _from_epoch(digits: str) -> datetime | None:
    seconds: float
    if len(digits) == 10:
        seconds = int(digits)
    elif len(digits) == 13:
        seconds = int(digits) / 1000
    else:
        return None
    if not _EPOCH_MIN <= seconds < _EPOCH_MAX:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def _from_compact(digits: str, zone: ZoneInfo) -> datetime | None:
    """`20261124070451` or `20261124070451932`: a wall-clock time in `zone`."""
    year, month, day, hour, minute, second = (int(digits[i : i + n]) for i, n in _COMPACT_PARTS)
    if year not in YEARS:
        return None
    try:
        naive = datetime(year, month, day, hour, minute, second, int(digits[14:17] or 0) * 1000)
    except ValueError:
        return None
    return naive.replace(tzinfo=zone).astimezone(UTC)


_COMPACT_PARTS = ((0, 4), (4, 2), (6, 2), (8, 2), (10, 2), (12, 2))


def _zone_of(offset: str | None, zone: ZoneInfo) -> tzinfo | None:
    if offset is None:
        return zone
    if offset.upper() == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def year_problem(value: date) -> str:
    """ "" when the date (or date-time) lies in the years Calldesk reads, else the message."""
    return "" if value.year in YEARS else YEARS_PROBLEM


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every time zone name an organization may have, sorted. Read once: listing them walks
    the zone files on disk, which took most of the settings page's time."""
    return tuple(sorted(available_timezones()))
