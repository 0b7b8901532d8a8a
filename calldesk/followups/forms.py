"""The follow-up pages' forms. Times are typed and shown in the organization's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from calldesk.accounts.models import User
from calldesk.followups.models import REASON_MAX, Method, Outcome, State
from calldesk.lib.datefields import BoundedDateTimeField

POOL = "pool"
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def people_choices(people: list[User]) -> list[tuple[str, str]]:
    return [(POOL, "The pool (anyone)"), *((str(p.public_id), p.display_name) for p in people)]


def person_of(value: str, people: list[User]) -> User | None:
    return next((p for p in people if str(p.public_id) == value), None)


class LocalDateTimeField(BoundedDateTimeField):
    """A wall-clock time read in the given zone (the organization's), whatever zone is active;
    a time the zone skips or repeats (the change to or from summer time) is refused."""

    def __init__(self, zone: ZoneInfo, **kwargs: Any) -> None:
        self.zone = zone
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        super().__init__(input_formats=LOCAL_FORMATS, widget=widget, **kwargs)

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(self.zone):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return value.astimezone(self.zone)
        return value


class ScheduleForm(forms.Form):
    def __init__(self, *args: Any, people: list[User], zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["due_at"] = LocalDateTimeField(zone, label="Due", help_text=f"In {zone.key} time.")
        self.fields["assignee"] = forms.ChoiceField(label="Who does it", choices=people_choices(people))
        self.fields["method"] = forms.ChoiceField(label="How", choices=Method.choices, initial=Method.CALL)
        self.fields["reason"] = forms.CharField(
            label="Why",
            required=False,
            max_length=REASON_MAX,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Kept sealed: it may name the caller.",
        )

    def clean_assignee(self) -> User | None:
        return person_of(self.cleaned_data["assignee"], self.people)


class AttemptForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    note = forms.CharField(required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ListFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any"), *State.choices], required=False, initial=State.OPEN, label="State")

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["assignee"] = forms.ChoiceField(
            choices=[("", "Anyone"), *people_choices(people)], required=False, label="Assigned to"
        )


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[("reassign", "Reassign"), ("close", "Close")])

    def __init__(self, *args: Any, people: list[User], ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.fields["chosen"] = forms.MultipleChoiceField(
            choices=[(i, i) for i in ids],
            label="Follow-ups",
            error_messages={"required": "Choose at least one follow-up.", "invalid_choice": "Choose from the list."},
        )
        self.fields["assignee"] = forms.ChoiceField(choices=people_choices(people), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "reassign" and not data.get("assignee"):
            self.add_error("assignee", "Choose whom to give them to.")
        data["assignee_user"] = person_of(data.get("assignee") or "", self.people)
        return data
