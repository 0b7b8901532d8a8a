"""The field editor's rows ↔ a revision's definition document.

The page shows each field as a row (choices as `Label = code` lines); this module turns
rows into the JSON that `parse_definition` validates, and back. Pure: no ORM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.forms import BaseFormSet
from django.utils.text import slugify

from calldesk.callforms.definition import BUILTIN_KEYS, Definition


def choices_text(definition_choices: Iterable[Any]) -> str:
    return "\n".join(f"{c.label} = {c.code}" if c.code else c.label for c in definition_choices)


def parse_choices_text(text: str) -> list[dict[str, str]]:
    """`Label = code` per line; the last `=` splits, so a label may itself contain one."""
    choices: list[dict[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        label, sep, code = line.rpartition("=")
        if not sep:
            label, code = line, ""
        item = {"label": label.strip()}
        if code.strip():
            item["code"] = code.strip()
        choices.append(item)
    return choices


def field_rows(definition: Definition) -> list[dict[str, Any]]:
    return [
        {
            "key": f.key,
            "label": f.label,
            "type": f.type.value,
            "required": f.required,
            "personal": f.personal,
            "help_text": f.help_text,
            "choices": choices_text(f.choices),
            "ORDER": index + 1,
        }
        for index, f in enumerate(definition.fields)
    ]


def call_type_rows(definition: Definition) -> list[dict[str, Any]]:
    return [
        {"key": c.key, "label": c.label, "full_report": c.data, "follow_ups": "yes" if c.follow_ups else "no"}
        for c in definition.call_types
    ]


def key_from_label(label: str, taken: set[str]) -> str:
    base = slugify(label).replace("-", "_")[:50] or "field"
    if not base[0].isalpha():
        base = "f_" + base
    key, n = base, 2
    while key in taken or key in BUILTIN_KEYS:
        key, n = f"{base}_{n}", n + 1
    return key


_CONTENT = ("key", "label", "help_text", "choices")


def kept_rows(fields: BaseFormSet) -> list[Any]:
    """The field rows that make the document, in its order: `fields[i]` of a problem is the
    i-th of these. ordered_forms skips deleted rows; an added row left blank (only its
    position set) is skipped too."""
    extra = set(map(id, fields.extra_forms))
    return [
        form
        for form in fields.ordered_forms
        if id(form) not in extra or any(form.cleaned_data[k].strip() for k in _CONTENT)
    ]


def definition_from_rows(fields: BaseFormSet, call_types: BaseFormSet) -> dict[str, Any]:
    """The definition document the two (valid) formsets describe, fields in their order."""
    rows = [form.cleaned_data for form in kept_rows(fields)]
    taken = {row["key"].strip() for row in rows if row.get("key", "").strip()}
    document_fields: list[dict[str, Any]] = []
    for row in rows:
        key = row["key"].strip()
        if not key and row["label"].strip():
            key = key_from_label(row["label"], taken)
            taken.add(key)
        item: dict[str, Any] = {"key": key, "label": row["label"].strip(), "type": row["type"]}
        if row["required"]:
            item["required"] = True
        if row["personal"]:
            item["personal"] = True
        if row["help_text"].strip():
            item["help_text"] = row["help_text"].strip()
        choices = parse_choices_text(row["choices"])
        if choices:
            item["choices"] = choices
        document_fields.append(item)
    document_types: list[dict[str, Any]] = []
    for form in call_types.forms:
        row = form.cleaned_data
        if not row or row.get("DELETE") or (not form.has_changed() and not form.initial):
            continue
        key = row["key"].strip()
        if not key and row["label"].strip():
            key = key_from_label(row["label"], {t["key"] for t in document_types})
        item = {"key": key, "label": row["label"].strip(), "data": bool(row["full_report"])}
        if row.get("follow_ups"):
            item["follow_ups"] = row["follow_ups"] == "yes"
        document_types.append(item)
    return {"fields": document_fields, "call_types": document_types}


_PLACE = re.compile(r"^(fields|call_types)\[(\d+)\](\S*): ")


def problem_row(problem: str) -> int | None:
    """Which field of the document (0-based) a problem is about, if it is about one."""
    match = _PLACE.match(problem)
    return int(match.group(2)) if match and match.group(1) == "fields" else None


def explain(problem: str, document: dict[str, Any], positions: list[int] | None = None) -> str:
    """`fields[2].choices[1].code: …` as the page names it:
    `Field 4 (“Language”), choices line 2, code: …`, where 4 is the position the page shows
    for that row (`positions`, one per document field; removed and blank rows count there but
    not in the document)."""
    match = _PLACE.match(problem)
    if not match:
        return re.sub(r"^call_types: ", "Call types: ", problem)
    kind, index, path = match.group(1), int(match.group(2)), match.group(3)
    items = document.get(kind, [])
    name = ""
    if index < len(items) and isinstance(items[index], dict):
        name = items[index].get("label") or items[index].get("key") or ""
    noun = "Field" if kind == "fields" else "Call type"
    number = positions[index] if kind == "fields" and positions and index < len(positions) else index + 1
    where = f"{noun} {number}" + (f" (“{name}”)" if name else "")
    # Choices are one text box per field, so `choices[1]` reads as line 2 of that box.
    path = re.sub(r"\[(\d+)\]", lambda m: f" line {int(m.group(1)) + 1}", path)
    parts = [part.replace("_", " ") for part in path.split(".") if part]
    return ", ".join([where, *parts]) + ": " + problem[match.end() :]
