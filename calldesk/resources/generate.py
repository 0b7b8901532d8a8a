"""An invented HSDS 3.0 directory of any size, with every table Calldesk holds: the demo's
directory, the tests' example datapackage and the benchmark's. Deterministic for a seed; uuid5
ids, so the same call writes the same ids."""

from __future__ import annotations

import csv
import json
import random
import uuid
from pathlib import Path

from calldesk.resources import hsds

NAMESPACE = uuid.UUID("5b0f3c9e-2a51-4e4d-9a57-1c0de5ca11de")
NEEDS = [
    ("BD-1800", "Food pantries", "Food bank", "Groceries and emergency food parcels."),
    ("BH-1800", "Homeless shelter", "Shelter", "Emergency beds for people without a home."),
    ("RP-1500", "Crisis counseling", "Counseling", "Talking therapy and crisis support."),
    ("FT-3000", "Legal aid", "Legal clinic", "Free legal advice for tenants and families."),
    ("LH-2600", "Health clinic", "Clínica de salud", "Primary care for people without insurance."),
    ("PH-2360", "Utility assistance", "Energy help", "Help paying heating and electricity bills."),
    ("BH-8400", "Housing search", "Housing", "Help finding an affordable home."),
    ("LR-8000", "Substance use treatment", "Recovery center", "Detox and recovery programs."),
]
PLACES = [
    ("Springfield", "IL", "62701", 39.7990, -89.6440),
    ("Springfield", "IL", "62704", 39.7710, -89.6800),
    ("Peoria", "IL", "61602", 40.6936, -89.5890),
    ("Champaign", "IL", "61820", 40.1106, -88.2073),
    ("Decatur", "IL", "62521", 39.8403, -88.9548),
]
LANGUAGES = [("English", "en"), ("Spanish", "es"), ("Polish", "pl"), ("Arabic", "ar")]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def make_directory(services: int = 40, locations: int = 30, terms: int = 24, seed: int = 1) -> dict[str, list[dict]]:
    """Rows per HSDS table name, every cell a string as a CSV holds it."""
    rng = random.Random(seed)  # nosec B311 - invented coordinates, not security
    rows: dict[str, list[dict]] = {name: [] for name in hsds.TABLE_ORDER}
    taxonomy_id = uid("taxonomy")
    rows["taxonomy"].append(
        {
            "id": taxonomy_id,
            "name": "Invented needs",
            "description": "A small open taxonomy for the demo.",
            "uri": "https://example.org/taxonomy",
            "version": "1",
        }
    )
    term_ids: list[str] = []
    for n in range(max(terms, len(NEEDS))):
        code, name, _, description = NEEDS[n % len(NEEDS)]
        parent = "" if n < len(NEEDS) else term_ids[n % len(NEEDS)]
        term_id = uid("term", n)
        term_ids.append(term_id)
        rows["taxonomy_term"].append(
            {
                "id": term_id,
                "code": code if n < len(NEEDS) else f"{code}.{n:05d}",
                "name": name if n < len(NEEDS) else f"{name} {n}",
                "description": description,
                "parent_id": parent,
                "taxonomy": "Invented needs",
                "language": "en",
                "taxonomy_id": taxonomy_id,
                "term_uri": "",
            }
        )
    organizations = max(1, services // 3)
    for n in range(organizations):
        rows["organization"].append(
            {
                "id": uid("org", n),
                "name": f"Community Agency {n + 1}",
                "alternate_name": "",
                "description": f"Community Agency {n + 1} serves its county.",
                "email": f"info{n}@example.org",
                "website": f"https://agency{n}.example.org",
                "tax_status": "",
                "tax_id": "",
                "year_incorporated": str(1950 + n % 70),
                "legal_status": "",
                "logo": "",
                "uri": "",
                "parent_organization_id": "",
            }
        )
    location_ids = []
    for n in range(locations):
        city, state, postcode, lat, lon = PLACES[n % len(PLACES)]
        location_id = uid("location", n)
        location_ids.append(location_id)
        rows["location"].append(
            {
                "id": location_id,
                "location_type": "physical",
                "url": "",
                "organization_id": uid("org", n % organizations),
                "name": f"{city} site {n + 1}",
                "alternate_name": "",
                "description": "",
                "transportation": "Bus 1",
                "latitude": repr(round(lat + rng.uniform(-0.02, 0.02), 6)),
                "longitude": repr(round(lon + rng.uniform(-0.02, 0.02), 6)),
                "external_identifier": "",
                "external_identifier_type": "",
            }
        )
        rows["address"].append(
            {
                "id": uid("address", n),
                "location_id": location_id,
                "attention": "",
                "address_1": f"{100 + n} Main Street",
                "address_2": "",
                "city": city,
                "region": "",
                "state_province": state,
                "postal_code": postcode,
                "country": "US",
                "address_type": "physical",
            }
        )
    for n in range(services):
        code, need, word, description = NEEDS[n % len(NEEDS)]
        service_id = uid("service", n)
        rows["service"].append(
            {
                "id": service_id,
                "organization_id": uid("org", n % organizations),
                "program_id": "",
                "name": f"{word} {n + 1}",
                "alternate_name": "",
                "description": description,
                "url": "",
                "email": "",
                "status": "active" if n % 10 else "inactive",
                "interpretation_services": "",
                "application_process": "Call first.",
                "fees_description": "Free",
                "wait_time": "",
                "fees": "",
                "accreditations": "",
                "eligibility_description": "Adults living in the county",
                "minimum_age": "18",
                "maximum_age": "",
                "assured_date": "2026-01-15",
                "assurer_email": "",
                "licenses": "",
                "alert": "",
                "last_modified": "2026-01-15T12:00:00Z",
            }
        )
        location_id = location_ids[n % len(location_ids)] if location_ids else ""
        sal_id = uid("sal", n)
        if location_id:
            rows["service_at_location"].append(
                {"id": sal_id, "service_id": service_id, "location_id": location_id, "description": ""}
            )
        rows["phone"].append(
            {
                "id": uid("phone", n),
                "location_id": "",
                "service_id": service_id,
                "organization_id": "",
                "contact_id": "",
                "service_at_location_id": "",
                "number": f"217-555-{n % 10000:04d}",
                "extension": "",
                "type": "voice",
                "description": "",
            }
        )
        days = ",".join(DAYS[:5]) if n % 4 else ",".join(DAYS)
        opens, closes = ("09:00:00", "17:00:00") if n % 5 else ("20:00:00", "08:00:00")
        rows["schedule"].append(
            {
                "id": uid("schedule", n),
                "service_id": service_id,
                "location_id": "",
                "service_at_location_id": "",
                "valid_from": "",
                "valid_to": "",
                "dtstart": "",
                "timezone": "",
                "until": "",
                "count": "",
                "wkst": "",
                "freq": "WEEKLY",
                "interval": "",
                "byday": days,
                "byweekno": "",
                "bymonthday": "",
                "byyearday": "",
                "description": "",
                "opens_at": opens,
                "closes_at": closes,
                "schedule_link": "",
                "attending_type": "",
                "notes": "",
            }
        )
        rows["service_area"].append(
            {
                "id": uid("area", n),
                "service_id": service_id,
                "name": f"{PLACES[n % len(PLACES)][0]} county",
                "description": "",
                "extent": "",
                "extent_type": "",
                "uri": "",
            }
        )
        language, language_code = LANGUAGES[n % len(LANGUAGES)] if n % 2 else LANGUAGES[0]
        rows["language"].append(
            {
                "id": uid("language", n),
                "service_id": service_id,
                "location_id": "",
                "phone_id": "",
                "name": language,
                "code": language_code,
                "note": "",
            }
        )
        rows["attribute"].append(
            {
                "id": uid("attribute", n),
                "link_id": service_id,
                "taxonomy_term_id": term_ids[n % len(term_ids)],
                "link_type": "",
                "link_entity": "service",
                "value": "",
            }
        )
    del need
    return rows


def write_datapackage(rows: dict[str, list[dict]], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for table in hsds.tables().values():
        with (directory / table.path).open("w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(table.fields), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows.get(table.name, []))
    (directory / "datapackage.json").write_text(json.dumps(hsds.descriptor(), indent=1), encoding="utf-8")
    return directory
