"""The profile pages' forms; their limits are the services' (the API and config import use the same)."""

from __future__ import annotations

from django import forms

from calldesk.callers.services import BLOCK_CHOICES, MAX_ALERT, MAX_INSTRUCTIONS, MAX_NAME

PERMANENT = "permanent"
LIFT = "lift"


class NumberForm(forms.Form):
    number = forms.CharField(max_length=64, label="Phone number", widget=forms.TextInput(attrs={"type": "tel"}))


class ProfileForm(forms.Form):
    preferred_name = forms.CharField(max_length=MAX_NAME, required=False, label="Preferred name")
    instructions = forms.CharField(
        max_length=MAX_INSTRUCTIONS,
        required=False,
        label="Instructions when communicating",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AlertForm(forms.Form):
    text = forms.CharField(
        max_length=MAX_ALERT, label="Alert", help_text="e.g. Safety plan on file; call-time limit 10 min"
    )
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        help_text="Empty: until removed. In the organization's time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class BlockForm(forms.Form):
    duration = forms.ChoiceField(
        label="Block this caller",
        choices=[(str(hours), label) for hours, label in BLOCK_CHOICES]
        + [(PERMANENT, "Permanently"), (LIFT, "Lift the block")],
    )

    def hours(self) -> int | None:
        value = self.cleaned_data["duration"]
        return None if value in (PERMANENT, LIFT) else int(value)
