"""Template filters for Calldesk's own sentences and times."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import template
from django.template.defaultfilters import date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
_QUOTED = re.compile(r"`([^`]*)`")


@register.filter
def quoted_code(sentence: str) -> SafeString:
    """A notice such as "Agent `34` matches 2 users" with the quoted parts as <code>.

    The whole sentence is escaped first: the quoted parts are caller-supplied values."""
    escaped = escape(sentence)
    return mark_safe(_QUOTED.sub(r"<code>\1</code>", escaped))  # noqa: S308 - escaped above  # nosec B308 B703


# `|date` with these formats, written out directly: DateFormat calls a method per format
# character and checks the zone for ambiguous times, which a page of numbers does not need
# (the editor's call facts cost more than all its fields). Any other format, or a
# value that is not a datetime, goes to `|date` itself.
_STAMPS = {
    "Y-m-d H:i:s": "{0.year:04d}-{0.month:02d}-{0.day:02d} {0.hour:02d}:{0.minute:02d}:{0.second:02d}",
    "Y-m-d H:i": "{0.year:04d}-{0.month:02d}-{0.day:02d} {0.hour:02d}:{0.minute:02d}",
    "H:i:s": "{0.hour:02d}:{0.minute:02d}:{0.second:02d}",
}


@register.filter(expects_localtime=True)
def stamp(value: Any, arg: str) -> str:
    """What `|date:arg` shows, for the numeric formats in _STAMPS (in the current time zone)."""
    pattern = _STAMPS.get(arg)
    if pattern is None or not isinstance(value, datetime):
        return str(date(value, arg))
    return pattern.format(value)
