"""A fixed, hand-written resource directory for search and referral tests (HSDS rows, imported
through the real importer). Lifeline's zone is America/New_York."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from calldesk.accounts.models import Organization
from calldesk.resources import services
from calldesk.resources.generate import uid, write_datapackage
from calldesk.resources.hsds import tables

WEEKDAYS = "MO,TU,WE,TH,FR"
EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"
# name, description, term, (lat, lon, postcode) or None, languages, (days, opens, closes), status
SERVICES: list[tuple[str, str, str, Any, list[str], tuple[str, str, str], str]] = [
    (
        "Eastside Food Bank",
        "Free groceries and emergency food parcels.",
        "pantry",
        (39.800, -89.640, "62701"),
        ["en", "es"],
        (WEEKDAYS, "09:00:00", "17:00:00"),
        "active",
    ),
    (
        "Clínica Esperanza",
        "Primary health care without insurance.",
        "clinic",
        (39.770, -89.680, "62704"),
        ["es"],
        ("MO,TU,WE,TH,FR,SA", "08:00:00", "20:00:00"),
        "active",
    ),
    (
        "Night Shelter",
        "Emergency beds overnight.",
        "shelter",
        (39.802, -89.642, "62701"),
        ["en"],
        (EVERY_DAY, "20:00:00", "08:00:00"),
        "active",
    ),
    (
        "Peoria Food Pantry",
        "Groceries for families.",
        "pantry",
        (40.690, -89.590, "61602"),
        ["en"],
        (WEEKDAYS, "10:00:00", "14:00:00"),
        "active",
    ),
    (
        "Tenant Legal Aid",
        "Legal advice for renters facing eviction.",
        "legal",
        (39.770, -89.680, "62704"),
        ["en"],
        ("TU,TH", "13:00:00", "16:00:00"),
        "active",
    ),
    (
        "Crisis Counseling Line",
        "Talk to someone at any hour, by phone.",
        "counseling",
        None,
        ["en", "es"],
        (EVERY_DAY, "00:00:00", "23:59:59"),
        "active",
    ),
    (
        "Old Food Program",
        "Closed food program.",
        "pantry",
        (39.800, -89.640, "62701"),
        ["en"],
        (WEEKDAYS, "09:00:00", "17:00:00"),
        "inactive",
    ),
    (
        "Café Solidaire",
        "Hot meals for anyone who comes.",
        "meals",
        (39.810, -89.650, "62701"),
        ["fr", "en"],
        ("SA,SU", "11:00:00", "14:00:00"),
        "active",
    ),
]
TERMS = {  # key: (name, parent key)
    "pantry": ("Food pantries", None),
    "meals": ("Hot meals", "pantry"),
    "clinic": ("Health clinic", None),
    "shelter": ("Homeless shelter", None),
    "legal": ("Legal aid", None),
    "counseling": ("Crisis counseling", None),
    "transport": ("Transportation", None),  # an unmet need: no service has it
}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French"}


def service_id(name: str) -> str:
    return uid("fixed-service", name)


def term_id(key: str) -> str:
    return uid("fixed-term", key)


def blank(table: str, **values: str) -> dict[str, str]:
    return {field: values.get(field, "") for field in tables()[table].fields}


def directory_rows() -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in tables()}
    taxonomy = uid("fixed-taxonomy")
    rows["taxonomy"].append(blank("taxonomy", id=taxonomy, name="Needs", description="Test needs"))
    for key, (name, parent) in TERMS.items():
        rows["taxonomy_term"].append(
            blank(
                "taxonomy_term",
                id=term_id(key),
                code=key.upper(),
                name=name,
                description=name,
                parent_id=term_id(parent) if parent else "",
                taxonomy_id=taxonomy,
            )
        )
    org = uid("fixed-org")
    rows["organization"].append(
        blank("organization", id=org, name="Sangamon Community Services", description="Runs the county's services.")
    )
    for n, (name, description, term, place, languages, hours, status) in enumerate(SERVICES):
        sid = service_id(name)
        rows["service"].append(
            blank(
                "service",
                id=sid,
                organization_id=org,
                name=name,
                description=description,
                status=status,
                eligibility_description="Anyone in the county",
                fees_description="Free",
            )
        )
        rows["phone"].append(blank("phone", id=uid("fixed-phone", name), service_id=sid, number=f"217-555-01{n:02d}"))
        rows["attribute"].append(
            blank(
                "attribute",
                id=uid("fixed-attr", name),
                link_id=sid,
                taxonomy_term_id=term_id(term),
                link_entity="service",
            )
        )
        for code in languages:
            rows["language"].append(
                blank(
                    "language", id=uid("fixed-lang", name, code), service_id=sid, name=LANGUAGE_NAMES[code], code=code
                )
            )
        days, opens, closes = hours
        rows["schedule"].append(
            blank(
                "schedule",
                id=uid("fixed-schedule", name),
                service_id=sid,
                freq="WEEKLY",
                byday=days,
                opens_at=opens,
                closes_at=closes,
            )
        )
        if place:
            lat, lon, postcode = place
            lid = uid("fixed-location", name)
            rows["location"].append(
                blank(
                    "location",
                    id=lid,
                    location_type="physical",
                    organization_id=org,
                    name=name,
                    latitude=repr(lat),
                    longitude=repr(lon),
                )
            )
            rows["address"].append(
                blank(
                    "address",
                    id=uid("fixed-address", name),
                    location_id=lid,
                    address_1=f"{n + 1} Main St",
                    city="Peoria" if postcode == "61602" else "Springfield",
                    state_province="IL",
                    postal_code=postcode,
                    country="US",
                    address_type="physical",
                )
            )
            rows["service_at_location"].append(
                blank("service_at_location", id=uid("fixed-sal", name), service_id=sid, location_id=lid)
            )
    return rows


def load_directory(owner: Organization, tmp_path: Path) -> None:
    services.import_directory(owner, write_datapackage(directory_rows(), tmp_path / "fixed-directory"))
