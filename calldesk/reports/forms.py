"""The editor's fields: reading what it posts, and describing what it shows.

Custom fields are posted as `f_<key>` so they never collide with the built-in ones (agent,
call_start, phone, call_type). Values are kept in JSON in one canonical shape per type
(callforms.codecs), which exports and history read.

A draft keeps everything typed. A value that does not pass its check is stored as
typed in `CallReport.unchecked` ({posted name: text}) and its field is marked; the stored
value stays empty until it passes, and submit refuses it. The editor is rendered from plain
`EditorField` descriptions (written out by reports.editor_html) rather than Django form
widgets: a form built for every page was most of the editor's cost, and a template
loop over the fields a third of what remained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from calldesk.accounts.models import User
from calldesk.callforms.codecs import (
    REQUIRED,
    Checked,
    check_call_start,
    check_phone,
    check_value,
    is_empty,
    no_nul,
)
from calldesk.callforms.definition import Definition, FieldDef, FieldType
from calldesk.callforms.referrals import as_posted
from calldesk.lib.phones import PhoneReading, read_phone

PREFIX = "f_"
DATETIME_LOCAL = "%Y-%m-%dT%H:%M:%S"
NO_AGENT = "— (filled with you when saved)"
AGENT_PROBLEM = "Choose a person from the list."
# The <input> each type is typed in. Numbers are text with a decimal keypad: a number input
# hands scripts "" for a half-typed value, which would then be lost instead of kept.
INPUT_TYPES = {
    FieldType.TEXT: "text",
    FieldType.NUMBER: "text",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime-local",
    FieldType.PHONE: "tel",
    # Text, not type=email: browsers refuse a Unicode local part there (calldesk.lib.emails).
    FieldType.EMAIL: "text",
}

Posted = str | list[str]


# --- reading what the editor posts ------------------------------------------------------------


@dataclass
class Reading:
    """The editor's form, read. `data` is what services store: the built-ins that passed their
    check, every custom value (empty where refused) and `unchecked`, the refused ones as typed."""

    data: dict[str, Any]
    problems: dict[str, str]  # posted name → what is wrong
    posted: dict[str, Posted]  # posted name → as typed, to show the form again

    @property
    def ok(self) -> bool:
        return not self.problems


def posted_values(definition: Definition, posted: Mapping[str, Any]) -> dict[str, Posted]:
    """The editor's fields from a POST (a QueryDict), missing ones empty."""
    typed: dict[str, Posted] = {
        name: str(posted.get(name, "")) for name in ("agent", "call_start", "phone", "call_type")
    }
    for item in definition.fields:
        name = PREFIX + item.key
        if item.type == FieldType.MULTI_CHOICE:
            getlist = getattr(posted, "getlist", None)
            typed[name] = [str(v) for v in getlist(name)] if getlist else list(posted.get(name, []))
        else:
            typed[name] = str(posted.get(name, ""))
    return typed


def read_editor(
    definition: Definition,
    posted: Mapping[str, Any],
    zone: ZoneInfo,
    region: str,
    find_agent: Callable[[str], User | None],
    current: Any = None,
) -> Reading:
    """Check every posted value by its field's type. `find_agent(public_id)` is the active user
    of the report's organization with that id, or None.

    `current`: the report as stored. A value posted back exactly as its widget shows the stored
    one keeps the stored value as it is: it passed its check when it was stored, and a widget
    may show less than was stored (a call start with fractions of a second from the phone
    system), which must not turn into a change nobody made."""
    typed = posted_values(definition, posted)
    shown = _shown_stored(current, definition, zone) if current is not None else {}
    data: dict[str, Any] = {}
    problems: dict[str, str] = {}

    agent_id = str(typed["agent"]).strip()
    if not agent_id:
        data["agent"] = None
    else:
        agent = find_agent(agent_id)
        if agent is None:
            problems["agent"] = AGENT_PROBLEM
        else:
            data["agent"] = agent

    start_text = str(typed["call_start"])
    if start_text and shown.get("call_start") == start_text:
        data["call_start"] = current.call_start
    else:
        start = check_call_start(start_text, zone)
        if start.ok:
            data["call_start"] = start.value
        else:
            problems["call_start"] = start.problem

    phone_text = str(typed["phone"]).strip()
    if phone_text and shown.get("phone") == phone_text and current.phone_e164:
        phone = Checked(phone_text)
        data["phone_raw"], data["phone_e164"] = current.phone_raw, current.phone_e164
    else:
        phone = check_phone(phone_text, region)
        if phone.ok:
            data["phone_raw"] = phone.value
            data["phone_e164"] = read_phone(phone.value, region).e164 if phone.value else ""
    if not phone.ok:
        problems["phone"] = phone.problem
        data["phone_raw"] = data["phone_e164"] = ""

    call_type = str(typed["call_type"])
    if definition.call_type(call_type) is None:
        problems["call_type"] = "Choose a call type."
    else:
        data["call_type"] = call_type

    values: dict[str, Any] = {}
    for item in definition.fields:
        name = PREFIX + item.key
        if name in shown and shown[name] == typed[name]:
            values[item.key] = current.values.get(item.key, empty_value(item))
            continue
        checked = check_value(item, typed[name], zone, region)
        values[item.key] = checked.value if checked.ok else empty_value(item)
        if not checked.ok:
            problems[name] = checked.problem
    data["values"] = values
    data["unchecked"] = {name: _storable(typed[name]) for name in problems}
    return Reading(data, problems, typed)


def required_problems(definition: Definition, reading: Reading, call_type: str) -> dict[str, str]:
    """The required fields a submit of a data call type still misses."""
    chosen = definition.call_type(reading.data.get("call_type", call_type))
    if chosen is None or not chosen.data:
        return {}
    missing = {}
    for item in definition.fields:
        name = PREFIX + item.key
        if item.required and name not in reading.problems and is_empty(reading.data["values"].get(item.key)):
            missing[name] = REQUIRED
    return missing


def empty_value(item: FieldDef) -> Any:
    return [] if item.type == FieldType.MULTI_CHOICE else None


def _storable(typed: Posted) -> Posted:
    return [no_nul(text) for text in typed] if isinstance(typed, list) else no_nul(typed)


def unchecked_problems(
    definition: Definition, unchecked: Mapping[str, Posted], zone: ZoneInfo, region: str
) -> dict[str, str]:
    """Why each value a draft keeps as typed does not pass (checked again: the checks are pure)."""
    problems = {}
    for name, typed in unchecked.items():
        text = typed if isinstance(typed, str) else ""
        if name == "agent":
            problems[name] = AGENT_PROBLEM
        elif name == "call_start":
            problems[name] = check_call_start(text, zone).problem or "Enter the date and time the call started."
        elif name == "phone":
            problems[name] = check_phone(text, region).problem or "This is not a phone number."
        elif name == "call_type":
            problems[name] = "Choose a call type."
        else:
            item = definition.field(name.removeprefix(PREFIX))
            if item is not None:
                problems[name] = check_value(item, typed, zone, region).problem or "Check this value."
    return problems


# --- what the editor shows --------------------------------------------------------------------


@dataclass
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class EditorField:
    """One field as the editor shows it (reports.editor_html writes it out)."""

    name: str  # the posted name; the element's id is id_<name>
    label: str
    widget: str  # "select", "checkboxes", "textarea" or an <input> type
    value: str = ""  # inputs and textareas
    options: list[Option] = field(default_factory=list)  # selects and checkboxes
    required: bool = False  # required to submit (not to save)
    help_text: str = ""
    problems: list[str] = field(default_factory=list)
    inputmode: str = ""
    note: str = ""  # under the Phone field: how the number reads, in E.164
    phone: PhoneReading | None = None  # the Phone field's number as read (shown beside the form too)
    autofocus: bool = False

    @property
    def id(self) -> str:
        return "id_" + self.name

    @property
    def problem_kind(self) -> str:
        """ "required" for a missing required value (marked at submit), else "invalid"."""
        return "required" if self.problems == [REQUIRED] else "invalid"

    @property
    def wide(self) -> bool:
        return self.widget in ("textarea", "checkboxes")


def _shown_stored(report: Any, definition: Definition, zone: ZoneInfo) -> dict[str, Posted]:
    """The report's stored values that passed their check (all but the agent and the call type,
    which are compared as they are), as the editor's widgets show them."""
    shown: dict[str, Posted] = {"call_start": local_input(report.call_start, zone), "phone": report.phone_raw}
    for item in definition.fields:
        shown[PREFIX + item.key] = widget_value(item, report.values.get(item.key), zone)
    unchecked = report.unchecked or {}
    return {name: value for name, value in shown.items() if name not in unchecked}


def shown_from_report(report: Any, definition: Definition, zone: ZoneInfo) -> dict[str, Posted]:
    """A report's fields as the editor's widgets hold them, with the values kept as typed."""
    shown: dict[str, Posted] = {
        "agent": str(report.agent.public_id) if report.agent_id else "",
        "call_type": report.call_type,
        **_shown_stored(report, definition, zone),
    }
    shown.update(report.unchecked or {})
    return shown


def local_input(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime(DATETIME_LOCAL)


def widget_value(item: FieldDef, stored: Any, zone: ZoneInfo) -> Posted:
    """A stored value as its widget holds it."""
    if item.type == FieldType.MULTI_CHOICE:
        return [str(label) for label in stored] if isinstance(stored, list) else []
    if item.type == FieldType.YES_NO:
        return "unknown" if stored is None else "true" if stored is True else "false"
    if item.type == FieldType.REFERRALS:
        return as_posted(stored)
    if stored is None:
        return ""
    if item.type == FieldType.DATETIME and isinstance(stored, str):
        try:
            return local_input(datetime.fromisoformat(stored), zone)
        except ValueError:
            return ""
    return str(stored)


def _options(choices: Iterable[tuple[str, str]], chosen: Posted) -> list[Option]:
    """Select or checkbox options; a value that is not among them (a kept typed value, a user
    no longer active) is shown as an extra option rather than silently dropped."""
    picked = set(chosen) if isinstance(chosen, list) else {chosen}
    options = [Option(value, label, value in picked) for value, label in choices]
    known = {value for value, _ in choices}
    options += [Option(value, f"{value} (not a choice)", True) for value in sorted(picked - known) if value]
    return options


def editor_fields(
    definition: Definition,
    shown: Mapping[str, Posted],
    problems: Mapping[str, str],
    agents: Iterable[User],
    phone_region: str,
) -> tuple[list[EditorField], list[EditorField]]:
    """The built-in and the custom fields as the editor shows them: `shown` holds each widget's
    value (stored, or as typed), `problems` the marks. The first marked field gets the focus."""

    def one(name: str) -> Posted:
        return shown.get(name, "")

    def text(name: str) -> str:
        value = one(name)
        return value if isinstance(value, str) else ""

    agent_choices = [("", NO_AGENT)] + [(str(user.public_id), str(user)) for user in agents]
    phone_text = text("phone")
    reading = read_phone(phone_text, phone_region) if phone_text and "phone" not in problems else None
    builtins = [
        EditorField("agent", "Agent", "select", options=_options(agent_choices, text("agent"))),
        EditorField("call_start", "Call start", "datetime-local", value=text("call_start")),
        EditorField(
            "phone",
            "Phone",
            "tel",
            value=phone_text,
            note=f"{reading.display} · E.164 {reading.e164}" if reading and reading.ok else "",
            phone=reading,
        ),
        EditorField(
            "call_type",
            "Call type",
            "select",
            options=_options([(c.key, c.label) for c in definition.call_types], text("call_type")),
        ),
    ]
    custom = [_custom_field(item, one(PREFIX + item.key)) for item in definition.fields]
    for item_field in [*builtins, *custom]:
        if item_field.name in problems:
            item_field.problems = [problems[item_field.name]]
    return builtins, custom


def _custom_field(item: FieldDef, value: Posted) -> EditorField:
    shown = _custom_widget(item, PREFIX + item.key, value)
    shown.required = item.required
    shown.help_text = item.help_text
    return shown


def _custom_widget(item: FieldDef, name: str, value: Posted) -> EditorField:
    text = value if isinstance(value, str) else ""
    kind = item.type
    if kind == FieldType.MULTI_CHOICE:
        choices = [(c.label, c.label) for c in item.choices]
        return EditorField(name, item.label, "checkboxes", options=_options(choices, value))
    if kind == FieldType.CHOICE:
        choices = [("", "—")] + [(c.label, c.label) for c in item.choices]
        return EditorField(name, item.label, "select", options=_options(choices, text))
    if kind == FieldType.YES_NO:
        choices = [("unknown", "Unknown"), ("true", "Yes"), ("false", "No")]
        return EditorField(name, item.label, "select", options=_options(choices, text or "unknown"))
    if kind == FieldType.LONG_TEXT:
        return EditorField(name, item.label, "textarea", value=text)
    if kind == FieldType.REFERRALS:
        # A hidden document the resource panel fills (resources/_editor_panel.html).
        return EditorField(name, item.label, "referrals", value=text)
    inputmode = {FieldType.NUMBER: "decimal", FieldType.EMAIL: "email"}.get(kind, "")
    return EditorField(name, item.label, INPUT_TYPES[kind], value=text, inputmode=inputmode)
