"""A report filter, as kept on an export record and in the access log, in words people read:
names instead of ids, labels instead of keys, and never the caller's number."""

from __future__ import annotations

from typing import Any

from calldesk.accounts.models import Organization, User
from calldesk.callforms.models import CallForm
from calldesk.reports.models import Status
from calldesk.reports.search import ANY_STATUS, report_fields

SORT_WORDS = {
    "call_start": "oldest call first",
    "-call_start": "newest call first",
    "submitted_at": "first submitted first",
    "-submitted_at": "last submitted first",
    "agent": "by agent",
    "-agent": "by agent, reversed",
    "form": "by form",
    "-form": "by form, reversed",
    "status": "by status",
    "-status": "by status, reversed",
}


FILTER_ORDER = {
    key: index
    for index, key in enumerate(
        ("from", "to", "agent", "form", "call_type", "status", "phone", "phone_removed", "values", "sort")
    )
}


class FilterWords:
    """Reads the organization's people, forms and fields once, then words any number of filters
    (an access log page holds many)."""

    def __init__(self, organization: Organization) -> None:
        self.people = {
            str(public_id): name or email
            for public_id, name, email in User.objects.filter(organization=organization).values_list(
                "public_id", "name", "email"
            )
        }
        self.forms = {
            str(public_id): f"{name} ({report_ver})"
            for public_id, name, report_ver in CallForm.objects.filter(organization=organization).values_list(
                "public_id", "name", "report_ver"
            )
        }
        self.labels = {item.key: item.label for item in report_fields(organization)}
        self.statuses = {**dict(Status.choices), ANY_STATUS: "any status"}

    def words(self, filters: dict[str, Any]) -> str:
        parts: list[str] = []
        # In the list's own order, whatever order the database kept the keys in (PostgreSQL's
        # JSON sorts them).
        ordered = sorted(filters.items(), key=lambda item: FILTER_ORDER.get(item[0], len(FILTER_ORDER)))
        for key, value in ordered:
            if key == "from":
                parts.append(f"from {value}")
            elif key == "to":
                parts.append(f"to {value}")
            elif key == "agent":
                parts.append(f"agent {self.people.get(str(value), 'no longer known')}")
            elif key == "form":
                parts.append(f"form {self.forms.get(str(value), 'no longer known')}")
            elif key == "status":
                parts.append(f"status {self.statuses.get(str(value), value)}")
            elif key == "call_type":
                parts.append(f"call type {value}")
            elif key in ("phone", "phone_removed"):
                # Named, never shown: the access log is read more widely than the reports.
                parts.append("a phone number")
            elif key == "values" and isinstance(value, dict):
                parts.extend(f"{self.labels.get(field, field)}: {_value(wanted)}" for field, wanted in value.items())
            elif key == "sort":
                parts.append(f"sorted {SORT_WORDS.get(str(value), str(value))}")
            else:
                parts.append(f"{key}: {_value(value)}")
        return "; ".join(parts) or "everything"

    def details(self, details: dict[str, Any]) -> list[tuple[str, str]]:
        """An access event's details as (name, words) pairs."""
        rows = []
        for key, value in details.items():
            shown = self.words(value) if key == "filters" and isinstance(value, dict) else _value(value)
            rows.append((key.replace("_", " "), shown))
        return rows


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
