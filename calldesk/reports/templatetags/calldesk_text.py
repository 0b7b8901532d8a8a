"""Template filters for Calldesk's own sentences."""

from __future__ import annotations

import re

from django import template
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
