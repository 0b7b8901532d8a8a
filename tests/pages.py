"""How a page shows a message: its `quoted` parts as <code> (the `quoted_code` filter)."""

from __future__ import annotations

import re


def shown(message: str) -> str:
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", message)
