"""What the dashboards count of referrals: services given per term, per service and per
organization, and unmet needs per term and per area, from the snapshots reports keep (so the
figures stay the same after the directory changes).

A report's area is what its place field holds: the first of the form's fields whose key names a
place (PLACE_KEYS, most precise first: a postal code before a city before a county), as typed,
spaces tidied and compared without regard to case. Calldesk has no place field type and no
caller address, so the field a helpline already asks ("Postcode", "City") is the area; a field
marked personal is sealed and not opened for a chart, its needs counted under UNKNOWN_AREA."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet

from calldesk.callforms.definition import FieldType
from calldesk.lib.sealed import is_sealed_value
from calldesk.reports.models import CallReport

TOP = 20
PLACE_KEYS = (
    "postcode",
    "postal_code",
    "zip",
    "zip_code",
    "zipcode",
    "city",
    "town",
    "county",
    "district",
    "area",
    "region",
    "location",
)
POSTCODE_KEYS = PLACE_KEYS[:5]  # the keys of a postal code, not a city or a region
NEAR_KEYS = (*POSTCODE_KEYS, "city", "town", "location")  # the places search can find a centre of
PLACE_TYPES = (FieldType.TEXT, FieldType.CHOICE)
UNKNOWN_AREA = "(no area recorded)"
MAX_AREA = 60


def place_field(fields: list[Any]) -> Any | None:
    """The field whose value is a report's area, or None when the forms ask no place."""
    by_key = {item.key.lower(): item for item in fields if item.type in PLACE_TYPES}
    return next((by_key[key] for key in PLACE_KEYS if key in by_key), None)


def area_of(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return UNKNOWN_AREA
    return " ".join(value.split())[:MAX_AREA]


def referral_counts(reports: QuerySet[CallReport], fields: list[Any]) -> list[tuple[str, str, dict[str, int]]]:
    """(chart id, title, counts) for each referral chart; none when no form has a referrals field."""
    keys = [item.key for item in fields if item.type == FieldType.REFERRALS]
    if not keys:
        return []
    per_term: Counter[str] = Counter()
    per_service: Counter[str] = Counter()
    per_organization: Counter[str] = Counter()
    unmet: Counter[str] = Counter()
    place = place_field(fields)
    unmet_area: Counter[str] = Counter()
    spelling: dict[str, str] = {}  # an area's first spelling, shown for every case of it
    sealed_in = place.sealed_in if place is not None else frozenset()
    for revision_id, values in reports.values_list("revision_id", "values").iterator(chunk_size=2000):
        if place is not None:
            # A revision that marks the place personal seals it: dashboards never open it.
            area = UNKNOWN_AREA if revision_id in sealed_in else area_of((values or {}).get(place.key))
            area = spelling.setdefault(area.casefold(), area)
        for key in keys:
            value = (values or {}).get(key)
            if not isinstance(value, dict) or is_sealed_value(value):
                continue
            for service in value.get("services", []):
                per_service[service.get("name", "")] += 1
                per_organization[service.get("organization", "")] += 1
                for term in service.get("terms", []) or [""]:
                    per_term[term] += 1
            for need in value.get("unmet", []):
                unmet[need.get("name", "")] += 1
                if place is not None:
                    unmet_area[area] += 1
    areas = (
        [("unmet_area", f"Unmet needs per area ({place.label})", dict(unmet_area.most_common(TOP)))] if place else []
    )
    return [
        ("referrals_term", "Referrals per need (term)", dict(per_term.most_common(TOP))),
        ("referrals_service", "Referrals per service", dict(per_service.most_common(TOP))),
        ("referrals_organization", "Referrals per organization", dict(per_organization.most_common(TOP))),
        ("unmet_term", "Unmet needs per term", dict(unmet.most_common(TOP))),
        *areas,
    ]
