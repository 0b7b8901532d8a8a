"""The `referrals` field type's value: the services given to a caller and the needs no service
met, each as it was at the time (a report stays true after the directory changes).

Stored shape (JSON), or None when empty:
    {"services": [{"id": <HSDS service id>, "name", "organization", "phone", "address",
                   "terms": [<term names>]}, …],
     "unmet": [{"id": <HSDS taxonomy_term id>, "name", "code"}, …]}

The editor posts this same document (its resource panel fills it from the directory's search
results). Pure: no ORM; the ids are checked for shape here, not looked up.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

MAX_SERVICES = 30
MAX_UNMET = 20
MAX_TERMS = 10
MAX_SNAPSHOT_TEXT = 300
SERVICE_KEYS = ("id", "name", "organization", "phone", "address")
UNMET_KEYS = ("id", "name", "code")
SHAPE = "Referrals could not be read; add them again from the resource search."


def read_referrals(text: str) -> tuple[dict[str, Any] | None, str]:
    """(value, "") or (None, problem) for the referrals document `text` ("" is empty)."""
    if not text.strip():
        return None, ""
    if len(text) > 200_000:
        return None, "Too many referrals."
    try:
        raw = json.loads(text)
    except ValueError:
        return None, SHAPE
    if not isinstance(raw, dict) or set(raw) - {"services", "unmet"}:
        return None, SHAPE
    services, unmet = raw.get("services", []), raw.get("unmet", [])
    if not isinstance(services, list) or not isinstance(unmet, list):
        return None, SHAPE
    if len(services) > MAX_SERVICES:
        return None, f"At most {MAX_SERVICES} services on one report."
    if len(unmet) > MAX_UNMET:
        return None, f"At most {MAX_UNMET} unmet needs on one report."
    kept_services, seen = [], set()
    for item in services:
        entry = _entry(item, SERVICE_KEYS, with_terms=True)
        if entry is None:
            return None, SHAPE
        if entry["id"] not in seen:
            seen.add(entry["id"])
            kept_services.append(entry)
    kept_unmet = []
    for item in unmet:
        entry = _entry(item, UNMET_KEYS, with_terms=False)
        if entry is None:
            return None, SHAPE
        if entry["id"] not in seen:
            seen.add(entry["id"])
            kept_unmet.append(entry)
    if not kept_services and not kept_unmet:
        return None, ""
    return {"services": kept_services, "unmet": kept_unmet}, ""


def _entry(item: Any, keys: tuple[str, ...], with_terms: bool) -> dict[str, Any] | None:
    allowed = {*keys, "terms"} if with_terms else set(keys)
    if not isinstance(item, dict) or set(item) - allowed:
        return None
    entry: dict[str, Any] = {}
    for key in keys:
        value = item.get(key, "")
        if not isinstance(value, str) or len(value) > MAX_SNAPSHOT_TEXT or "\x00" in value:
            return None
        entry[key] = value.strip()
    try:
        entry["id"] = str(uuid.UUID(entry["id"]))
    except ValueError:
        return None
    if not entry["name"]:
        return None
    if with_terms:
        terms = item.get("terms", [])
        if not isinstance(terms, list) or len(terms) > MAX_TERMS:
            return None
        if not all(isinstance(t, str) and len(t) <= MAX_SNAPSHOT_TEXT and "\x00" not in t for t in terms):
            return None
        entry["terms"] = [t.strip() for t in terms]
    return entry


def referrals_text(value: Any) -> str:
    """The value as people read it (report page, exports): services; unmet needs."""
    if not isinstance(value, dict):
        return ""
    given = [
        " · ".join(part for part in (s.get("name", ""), s.get("phone", "")) if part) for s in value.get("services", [])
    ]
    unmet = [u.get("name", "") for u in value.get("unmet", [])]
    text = "; ".join(given)
    if unmet:
        text += ("; " if text else "") + "Unmet: " + ", ".join(unmet)
    return text


def as_posted(value: Any) -> str:
    """The stored value as the editor's hidden input holds it (and posts it back unchanged)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else ""
