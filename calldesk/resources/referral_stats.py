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
from collections.abc import Callable
from typing import Any

from calldesk.callforms.definition import FieldType
from calldesk.lib.sealed import is_sealed_value

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
    by_key = {item.key.lower(): item for item in place_candidates(fields)}
    return next((by_key[key] for key in PLACE_KEYS if key in by_key), None)


def area_of(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        return UNKNOWN_AREA
    return " ".join(value.split())[:MAX_AREA]


# The parts of a dashboard's tally (calldesk.dashboards.counting) these charts count, each a
# Counter of keys: (term,), (service,), (organization,), (unmet need,), and (place field's key,
# area) for every field that could be the place (the dashboard of one form and that of all forms
# may take different ones, and both read the same kept days).
REFERRAL_TERM, REFERRAL_SERVICE, REFERRAL_ORGANIZATION = "referral_term", "referral_service", "referral_organization"
UNMET_TERM, UNMET_AREA = "unmet_term", "unmet_area"


def referral_keys(fields: list[Any]) -> list[str]:
    """The keys of the referrals fields: nothing to count when empty."""
    return [item.key for item in fields if item.type == FieldType.REFERRALS]


def place_candidates(fields: list[Any]) -> list[Any]:
    """Every field that could be a report's area (place_field picks one of them)."""
    return [item for item in fields if item.type in PLACE_TYPES and item.key.lower() in PLACE_KEYS]


Part = Callable[[str], Counter[Any]]  # a tally's part by name


def count_referrals(
    revision_id: int, values: dict[str, Any] | None, keys: list[str], places: list[Any], part: Part
) -> None:
    """Adds one report's referrals and unmet needs to the tally whose parts `part` gives."""
    values = values or {}
    unmet = 0
    for key in keys:
        value = values.get(key)
        if not isinstance(value, dict) or is_sealed_value(value):
            continue
        for service in value.get("services", []):
            part(REFERRAL_SERVICE)[(service.get("name", ""),)] += 1
            part(REFERRAL_ORGANIZATION)[(service.get("organization", ""),)] += 1
            for term in service.get("terms", []) or [""]:
                part(REFERRAL_TERM)[(term,)] += 1
        for need in value.get("unmet", []):
            part(UNMET_TERM)[(need.get("name", ""),)] += 1
            unmet += 1
    if unmet:
        for place in places:
            # A revision that marks the place personal seals it: dashboards never open it.
            area = UNKNOWN_AREA if revision_id in place.sealed_in else area_of(values.get(place.key))
            part(UNMET_AREA)[(place.key, area)] += unmet


def referral_charts(part: Part, fields: list[Any]) -> list[tuple[str, str, dict[str, int]]]:
    """(chart id, title, counts) for each referral chart; none when no form has a referrals field."""
    if not referral_keys(fields):
        return []
    place = place_field(fields)
    areas: list[tuple[str, str, dict[str, int]]] = []
    if place is not None:
        # Areas compared without regard to case, each shown as first spelled (the tally adds days
        # in order, and a day's reports by their call start).
        unmet_area: Counter[str] = Counter()
        spelling: dict[str, str] = {}
        for (key, area), n in part(UNMET_AREA).items():
            if key == place.key:
                unmet_area[spelling.setdefault(area.casefold(), area)] += n
        areas = [("unmet_area", f"Unmet needs per area ({place.label})", _top(unmet_area))]
    return [
        ("referrals_term", "Referrals per need (term)", _top(_one(part(REFERRAL_TERM)))),
        ("referrals_service", "Referrals per service", _top(_one(part(REFERRAL_SERVICE)))),
        ("referrals_organization", "Referrals per organization", _top(_one(part(REFERRAL_ORGANIZATION)))),
        ("unmet_term", "Unmet needs per term", _top(_one(part(UNMET_TERM)))),
        *areas,
    ]


def _one(counts: Counter[Any]) -> Counter[str]:
    return Counter({key[0]: n for key, n in counts.items()})


def _top(counts: Counter[str]) -> dict[str, int]:
    """The TOP most counted, ties by name: the same whichever order the counts were added in."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP])
