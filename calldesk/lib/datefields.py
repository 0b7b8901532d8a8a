"""Date and date-time form fields held to the years Calldesk reads (`times.YEARS`).

A year such as 0001 or 9999 parses, but turning it into a range of UTC instants (a filter's
whole days, a wall-clock time in the organization's zone) overflows Python's datetime, and a
database may refuse it. These fields turn such a year into a field error at the edge, so
every form that takes a date (report filters, dashboards, the editor's call start and date
fields) refuses it the same way.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms

from calldesk.lib.times import year_problem


class BoundedDateField(forms.DateField):
    def to_python(self, value: Any) -> date | None:
        parsed: date | None = super().to_python(value)
        if parsed is not None and year_problem(parsed):
            raise forms.ValidationError(year_problem(parsed), code="year")
        return parsed


class BoundedDateTimeField(forms.DateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is not None and year_problem(parsed):
            raise forms.ValidationError(year_problem(parsed), code="year")
        return parsed
