"""The editor's fields (reports.forms.EditorField) and its close buttons as HTML, written in Python.

The per-field template loop rendered some 400 template nodes per editor page, a third of the
screen pop's CPU; these few string joins make the same elements, attributes and text.
Everything that comes from a form definition, a report or a caller is escaped here, one value at
a time: `_e` is Django's escape() (html.escape of the text, quotes included) without its
SafeString wrapper, and only the joined result is marked safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape as _escape

from django.utils.safestring import SafeString, mark_safe

from calldesk.callforms.definition import CallType
from calldesk.reports.forms import EditorField, Option

REQUIRED_MARK = ' <span class="req" title="Required to submit">*</span>'


def _e(value: str) -> str:
    return _escape(value, quote=True)


def fields_html(fields: Iterable[EditorField]) -> SafeString:
    """The fields, one <div class="field"> each, as the editor and the form preview show them."""
    html = "\n".join(_field(item) for item in fields)
    return mark_safe(f"\n{html}\n" if html else "\n")  # noqa: S308 - every value escaped  # nosec B308 B703


def _field(item: EditorField) -> str:
    name, ident = _e(item.name), _e(item.id)
    classes = "field"
    if item.wide:
        classes += " wide"
    if item.problems:
        classes += " has-error"
    described = f' aria-describedby="{ident}_helptext"' if item.help_text else ""
    required = REQUIRED_MARK if item.required else ""
    parts = [f'<div class="{classes}" id="field-{name}">']
    if item.widget == "checkboxes":
        parts.append(f"<fieldset{described}><legend>{_e(item.label)}{required}</legend>")
        parts.append(f'<div class="choices" id="{ident}">')
        parts.extend(_checkbox(option, name, ident, index, item.autofocus) for index, option in enumerate(item.options))
        parts.append("</div></fieldset>")
    else:
        parts.append(f'<label for="{ident}">{_e(item.label)}{required}</label>')
        flags = (' aria-required="true"' if item.required else "") + described
        if item.autofocus:
            flags += " autofocus"
        if item.widget == "select":
            parts.append(f'<select name="{name}" id="{ident}"{flags}>')
            parts.extend(_option(option) for option in item.options)
            parts.append("</select>")
        elif item.widget == "referrals":
            # The document is kept in a hidden input; the resource panel's script shows and edits it.
            parts.append(
                f'<input type="hidden" name="{name}" value="{_e(item.value)}" id="{ident}" data-referrals>'
                f'<ul class="referrals" id="{ident}_list" data-referrals-list="{ident}"></ul>'
            )
        elif item.widget == "textarea":
            # The newline after <textarea> is dropped by the parser; without it a value that starts
            # with a newline would lose it.
            parts.append(f'<textarea name="{name}" id="{ident}" rows="4"{flags}>\n{_e(item.value)}</textarea>')
        else:
            value = f' value="{_e(item.value)}"' if item.value else ""
            step = ' step="1"' if item.widget == "datetime-local" else ""
            inputmode = f' inputmode="{_e(item.inputmode)}"' if item.inputmode else ""
            parts.append(f'<input type="{_e(item.widget)}" name="{name}"{value} id="{ident}"{step}{inputmode}{flags}>')
    if item.note:
        parts.append(f'<p class="help" id="{name}-normalised">{_e(item.note)}</p>')
    if item.help_text:
        parts.append(f'<p class="help" id="{ident}_helptext">{_e(item.help_text)}</p>')
    if item.problems:
        kind = _e(item.problem_kind)
        parts.append(
            "".join(f'<p class="field-error" data-kind="{kind}" role="alert">{_e(p)}</p>' for p in item.problems)
        )
    parts.append("</div>")
    return "\n".join(parts)


def _option(option: Option) -> str:
    selected = " selected" if option.selected else ""
    return f'<option value="{_e(option.value)}"{selected}>{_e(option.label)}</option>'


def _checkbox(option: Option, name: str, ident: str, index: int, autofocus: bool) -> str:
    checked = " checked" if option.selected else ""
    focus = " autofocus" if autofocus and index == 0 else ""
    return (
        f'<label class="choice" for="{ident}_{index}"><input type="checkbox" name="{name}"'
        f' value="{_e(option.value)}" id="{ident}_{index}"{checked}{focus}> {_e(option.label)}</label>'
    )


def close_buttons_html(report_url: str, call_types: Iterable[CallType]) -> SafeString:
    """A draft's one-click "Close as …" buttons, one per non-data call type (a template loop over
    four buttons cost as much as the whole call facts box)."""
    buttons = "".join(
        f'\n<button type="submit" class="quiet" formaction="{_e(report_url)}close" name="close_as"'
        f' value="{_e(item.key)}">Close as {_e(item.label.lower())}</button>'
        for item in call_types
    )
    return mark_safe(buttons + "\n")  # noqa: S308 - every value escaped  # nosec B308 B703
