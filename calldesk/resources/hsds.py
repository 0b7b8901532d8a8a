"""HSDS 3.0 as Calldesk holds it: the tables of the directory, their order, their fields, and how a
cell becomes a model value and back. `hsds/datapackage.json` is the specification's own
datapackage (Open Referral, CC-BY-SA 4.0, tag v3.0) cut to the tables Calldesk holds; it is the
one description of fields, types and required fields that import, export and tests read."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from django.db import models as dj

from calldesk.resources import limits, models

# Import order: a table comes after every table it refers to.
TABLE_ORDER = (
    "taxonomy",
    "taxonomy_term",
    "organization",
    "service",
    "location",
    "service_at_location",
    "address",
    "phone",
    "schedule",
    "service_area",
    "language",
    "attribute",
)
MODELS: dict[str, type[models.Record]] = {
    "organization": models.Organization,
    "service": models.Service,
    "location": models.Location,
    "address": models.Address,
    "phone": models.Phone,
    "schedule": models.Schedule,
    "service_at_location": models.ServiceAtLocation,
    "service_area": models.ServiceArea,
    "language": models.Language,
    "taxonomy": models.Taxonomy,
    "taxonomy_term": models.TaxonomyTerm,
    "attribute": models.Attribute,
}
# Where a model's attribute is not HSDS's field name (taxonomy_term has both `taxonomy` and `taxonomy_id`).
ATTNAMES: dict[str, dict[str, str]] = {"taxonomy_term": {"taxonomy_id": "vocabulary_id"}}
# References HSDS states in words rather than as datapackage foreign keys, checked the same way.
EXTRA_REFERENCES: dict[str, dict[str, str]] = {"taxonomy_term": {"parent_id": "taxonomy_term"}}
COORDINATES = {"latitude": (-90, 90), "longitude": (-180, 180)}


@dataclass(frozen=True)
class Table:
    name: str
    path: str  # the CSV file's name in a datapackage, e.g. "services.csv"
    fields: tuple[str, ...]
    types: dict[str, str]
    required: frozenset[str]
    references: dict[str, str]  # field -> table it refers to by id
    schema: dict[str, Any]  # the Table Schema, with Calldesk's limits added as constraints

    @property
    def uuids(self) -> tuple[str, ...]:
        return tuple(f["name"] for f in self.schema["fields"] if f.get("format") == "uuid")

    @property
    def model(self) -> type[models.Record]:
        return MODELS[self.name]

    def attname(self, field: str) -> str:
        return ATTNAMES.get(self.name, {}).get(field, field)


@cache
def descriptor() -> dict[str, Any]:
    text = resources.files("calldesk.resources").joinpath("hsds/datapackage.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def tables() -> dict[str, Table]:
    found: dict[str, Table] = {}
    for resource in descriptor()["resources"]:
        schema = copy.deepcopy(resource["schema"])
        for field in schema["fields"]:
            constraints = field.setdefault("constraints", {})
            if field["type"] == "string" and field.get("format") not in ("uuid",):
                constraints["maxLength"] = limits.text_limit(field["name"])
            if resource["name"] == "location" and field["name"] in COORDINATES:
                constraints["minimum"], constraints["maximum"] = COORDINATES[field["name"]]
        references = {fk["fields"]: fk["reference"]["resource"] for fk in schema.get("foreignKeys", [])}
        references.update(EXTRA_REFERENCES.get(resource["name"], {}))
        # References span tables: importer checks them once every table is read, with each row's place.
        schema.pop("foreignKeys", None)
        found[resource["name"]] = Table(
            name=resource["name"],
            path=resource["path"],
            fields=tuple(field["name"] for field in schema["fields"]),
            types={field["name"]: field["type"] for field in schema["fields"]},
            required=frozenset(f["name"] for f in schema["fields"] if f.get("constraints", {}).get("required")),
            references=references,
            schema=schema,
        )
    return {name: found[name] for name in TABLE_ORDER}


def table_for(name_or_path: str) -> Table | None:
    """A table by HSDS name ("service") or datapackage file name ("services.csv")."""
    for table in tables().values():
        if name_or_path in (table.name, table.path):
            return table
    return None


def to_model_value(table: Table, field: str, value: Any) -> Any:
    """A cell as frictionless typed it -> the value stored in the model."""
    if value is None:
        return "" if _is_text(table, field) else None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC)
    if _is_uuid(table, field):
        return uuid.UUID(str(value))
    return value


def to_cell(value: Any) -> str:
    """A model value -> the CSV cell the export writes; imports back to the same value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _field_name(table: Table, field: str) -> str:
    attname = table.attname(field)
    for model_field in table.model._meta.concrete_fields:
        if model_field.attname == attname:
            return model_field.name
    raise LookupError(f"{table.name}.{field} has no model field")


def _is_uuid(table: Table, field: str) -> bool:
    model_field = table.model._meta.get_field(_field_name(table, field))
    return isinstance(model_field, dj.UUIDField | dj.ForeignKey)


def _is_text(table: Table, field: str) -> bool:
    model_field = table.model._meta.get_field(_field_name(table, field))
    return isinstance(model_field, dj.TextField | dj.CharField)
