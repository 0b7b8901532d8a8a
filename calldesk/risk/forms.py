"""The emergency record as a specialist types it: times in the organization's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from calldesk.lib.datefields import BoundedDateTimeField
from calldesk.risk.models import Consent, EmergencyRecord, Outcome, Service

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
TIME_NAMES = ("contacted_at", "dispatched_at", "confirmed_at")


def _time_field(label: str) -> BoundedDateTimeField:
    return BoundedDateTimeField(
        label=label,
        required=False,
        input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


class EmergencyForm(forms.Form):
    consent = forms.ChoiceField(label="Consent", choices=[("", "—"), *Consent.choices], required=False)
    service = forms.ChoiceField(label="Service contacted", choices=[("", "—"), *Service.choices], required=False)
    reference = forms.CharField(label="Its reference number", max_length=100, required=False)
    contacted_at = _time_field("Contacted at")
    dispatched_at = _time_field("Dispatched at")
    confirmed_at = _time_field("Confirmed on scene at")
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "— not yet —"), *Outcome.choices], required=False)
    notes = forms.CharField(label="Notes", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, zone: ZoneInfo, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def full_clean(self) -> None:
        # The times are wall-clock times in the organization's zone, whoever's browser sent them.
        with timezone.override(self.zone):
            super().full_clean()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contacted, dispatched, confirmed = (data.get(name) for name in TIME_NAMES)
        if contacted and dispatched and dispatched < contacted:
            self.add_error("dispatched_at", "Dispatched before it was contacted?")
        if contacted and confirmed and confirmed < contacted:
            self.add_error("confirmed_at", "Confirmed on scene before it was contacted?")
        if data.get("outcome") and not data.get("service"):
            self.add_error("service", "Say which service was contacted (or Other).")
        if data.get("outcome") and not data.get("consent"):
            self.add_error("consent", "With or without the caller's consent?")
        return data

    @classmethod
    def of(cls, record: EmergencyRecord | None, zone: ZoneInfo) -> EmergencyForm:
        """The form showing `record` as stored, its times in the organization's zone."""
        if record is None:
            return cls(zone)
        initial: dict[str, Any] = {
            name: getattr(record, name) for name in ("consent", "service", "reference", "outcome", "notes")
        }
        for name in TIME_NAMES:
            value: datetime | None = getattr(record, name)
            initial[name] = timezone.localtime(value, zone).strftime(LOCAL_INPUT) if value else ""
        return cls(zone, initial=initial)
