"""The editor's form, built from a form revision's definition.

Custom fields are named `f_<key>` so they never collide with the built-in ones. Values are
kept in JSON in one canonical shape per type (see `to_stored`), which exports and history read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from calldesk.accounts.models import Organization, User
from calldesk.callforms.definition import (
    MAX_LONG_TEXT,
    MAX_TEXT,
    NUMBER_DECIMALS,
    NUMBER_DIGITS,
    Definition,
    FieldDef,
    FieldType,
    stored_number,
)
from calldesk.lib.datefields import BoundedDateField, BoundedDateTimeField
from calldesk.lib.phones import read_phone

PREFIX = "f_"
DATETIME_LOCAL = "%Y-%m-%dT%H:%M:%S"
INPUT_FORMATS = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        # step=1 keeps the seconds a phone system sent.
        super().__init__(format=DATETIME_LOCAL, attrs={"step": "1"})


class PhoneField(forms.CharField):
    def __init__(self, region: str, **kwargs: Any) -> None:
        self.region = region
        super().__init__(max_length=200, **kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text and not read_phone(text, self.region).ok:
            raise forms.ValidationError("This is not a phone number.")
        return text


def build_field(item: FieldDef, zone: ZoneInfo, region: str) -> forms.Field:
    common: dict[str, Any] = {"label": item.label, "required": False, "help_text": item.help_text}
    kind = item.type
    if kind == FieldType.TEXT:
        return forms.CharField(max_length=MAX_TEXT, **common)
    if kind == FieldType.LONG_TEXT:
        return forms.CharField(max_length=MAX_LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind == FieldType.NUMBER:
        return forms.DecimalField(max_digits=NUMBER_DIGITS, decimal_places=NUMBER_DECIMALS, **common)
    if kind == FieldType.YES_NO:
        return forms.NullBooleanField(widget=forms.NullBooleanSelect, **common)
    if kind == FieldType.CHOICE:
        choices = [("", "—")] + [(c.label, c.label) for c in item.choices]
        return forms.ChoiceField(choices=choices, **common)
    if kind == FieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c.label, c.label) for c in item.choices], widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == FieldType.DATE:
        return BoundedDateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == FieldType.DATETIME:
        return BoundedDateTimeField(widget=DateTimeLocalInput(), input_formats=INPUT_FORMATS, **common)
    if kind == FieldType.PHONE:
        return PhoneField(region, **common)
    return forms.EmailField(**common)


def to_stored(item: FieldDef, value: Any, zone: ZoneInfo) -> Any:
    """A cleaned form value in its stored JSON shape; None or "" when empty."""
    if value in (None, "", []):
        return [] if item.type == FieldType.MULTI_CHOICE else None
    if isinstance(value, Decimal):
        return stored_number(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=zone)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def shown_value(stored: Any, separator: str = ", ") -> Any:
    """A stored value as people read it (report view, exports): choices joined, yes/no in words,
    empty as "". Other values (text, numbers, dates) come back as they are."""
    if stored is None:
        return ""
    if isinstance(stored, bool):
        return "Yes" if stored else "No"
    if isinstance(stored, list):
        return separator.join(str(item) for item in stored)
    return stored


def to_initial(item: FieldDef, stored: Any, zone: ZoneInfo) -> Any:
    """A stored value as the form widget shows it."""
    if stored in (None, ""):
        return None
    if item.type == FieldType.DATETIME and isinstance(stored, str):
        try:
            return datetime.fromisoformat(stored).astimezone(zone).strftime(DATETIME_LOCAL)
        except ValueError:
            return None
    return stored


class ReportForm(forms.Form):
    """Built-in fields plus the revision's fields. Required fields are only enforced on submit
    of a data call type; drafts save whatever is there."""

    agent = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Agent", to_field_name="public_id"
    )
    call_start = BoundedDateTimeField(label="Call start", widget=DateTimeLocalInput(), input_formats=INPUT_FORMATS)
    phone = forms.CharField(label="Phone", max_length=200, required=False)
    call_type = forms.ChoiceField(label="Call type")

    def __init__(
        self,
        definition: Definition,
        organization: Organization,
        *,
        enforce_required: bool = False,
        agent_options: list[User] | None = None,
        **kwargs: Any,
    ) -> None:
        """`agent_options`: the people the Agent list offers (default: every active user).
        Any active user of the organization is still accepted, whatever the list shows."""
        super().__init__(**kwargs)
        self.definition = definition
        self.organization = organization
        self.zone = organization.zone
        self.enforce_required = enforce_required
        agent = self.fields["agent"]
        assert isinstance(agent, forms.ModelChoiceField)
        agent.queryset = User.objects.filter(organization=organization, is_active=True).order_by("name", "email")
        agent.empty_label = "— (filled with you when saved)"
        if agent_options is not None:
            # A list of every user costs a query and a rendered option per user on every screen
            # pop; a specialist picks between the agent the phone system named and themselves.
            agent.widget.choices = [("", agent.empty_label)] + [(u.public_id, str(u)) for u in agent_options]
        self.fields["call_type"].choices = [(c.key, c.label) for c in definition.call_types]  # type: ignore[attr-defined]
        for item in definition.fields:
            field = build_field(item, self.zone, organization.phone_region)
            # The browser's own "required" check would block autosave of a half-filled draft.
            field.widget.attrs["data-required"] = "true" if item.required else "false"
            self.fields[PREFIX + item.key] = field

    def clean_call_start(self) -> datetime:
        value: datetime = self.cleaned_data["call_start"]
        # The browser sends wall-clock time in the organization's zone.
        return value.replace(tzinfo=None).replace(tzinfo=self.zone).astimezone(UTC)

    def clean_phone(self) -> str:
        text: str = self.cleaned_data["phone"].strip()
        if text and not read_phone(text, self.organization.phone_region).ok:
            raise forms.ValidationError("This is not a phone number.")
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        call_type = self.definition.call_type(cleaned.get("call_type", ""))
        if self.enforce_required and call_type is not None and call_type.data:
            for item in self.definition.fields:
                name = PREFIX + item.key
                if item.required and cleaned.get(name) in (None, "", []) and name not in self.errors:
                    self.add_error(name, "This field is required.")
        return cleaned

    def report_data(self) -> dict[str, Any]:
        """The cleaned form as the report's built-ins and values."""
        data = self.cleaned_data
        values = {item.key: to_stored(item, data.get(PREFIX + item.key), self.zone) for item in self.definition.fields}
        phone = read_phone(data.get("phone", ""), self.organization.phone_region)
        return {
            "agent": data.get("agent"),
            "call_start": data["call_start"],
            "phone_raw": data.get("phone", ""),
            "phone_e164": phone.e164,
            "call_type": data["call_type"],
            "values": values,
        }


def initial_for(report: Any, definition: Definition, zone: ZoneInfo) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "agent": report.agent.public_id if report.agent_id else None,
        "call_start": report.call_start.astimezone(zone).strftime(DATETIME_LOCAL),
        "phone": report.phone_raw,
        "call_type": report.call_type,
    }
    for item in definition.fields:
        initial[PREFIX + item.key] = to_initial(item, report.values.get(item.key), zone)
    return initial
