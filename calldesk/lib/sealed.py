"""Model fields that keep caller data sealed in the database (calldesk.lib.crypto) while the
code around them reads and writes plain values.

- `SealedTextField`: a string (a phone number). "" stays "" so "no number" can be asked in SQL;
  any other comparison is refused, since a sealed value never equals another: compare a keyed
  hash column instead (`CallReport.phone_hash`).
- `SealedJSONField`: any JSON value (a call's parameters, a history entry), sealed as a whole.
- `PersonalValuesField`: a report's field values, a JSON object where only the fields the
  report's revision marks personal are sealed, each beside a keyed hash of its value, so the
  other fields stay queryable (filters, dashboards) and a personal one matches exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, In, IsNull, Lookup

from calldesk.lib.crypto import HASH_HEX, keyed_hash, phone_hash, seal, unseal
from calldesk.lib.jsonload import string_or_loads

# An empty list or object says nothing about a caller: kept as it is, so the many empty ones
# (a call with no unmapped parameter, a history entry with no change) cost no sealing.
EMPTY_JSON = ("[]", "{}")
SEALED = "cd"  # {"cd": sealed JSON of the value, "h": keyed hash(es)} in a report's values
HASHED = "h"


class _EmptyOnlyExact(Exact):
    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            column = getattr(getattr(self.lhs, "target", None), "name", "this column")
            raise FieldError(f"{column} is sealed at rest: compare its keyed hash instead")
        return super().get_prep_lookup()


def _refuse_unless_clear(lookup: Lookup, values: list[Any]) -> None:
    """A sealed column is compared only with its field's clear words (stored as they are)."""
    clear = getattr(getattr(lookup.lhs, "target", None), "clear", ())
    hidden = [v for v in values if v not in ("", None) and v not in clear and not hasattr(v, "resolve_expression")]
    if hidden:
        column = getattr(getattr(lookup.lhs, "target", None), "name", "this column")
        raise FieldError(f"{column} is sealed at rest: compare its keyed hash instead")


class _ClearWordExact(Exact):
    def get_prep_lookup(self) -> Any:
        _refuse_unless_clear(self, [self.rhs])
        return super().get_prep_lookup()


class _ClearWordIn(In):
    def get_prep_lookup(self) -> Any:
        _refuse_unless_clear(self, list(self.rhs) if isinstance(self.rhs, list | tuple | set) else [self.rhs])
        return super().get_prep_lookup()


class _SealedField(models.Field):  # type: ignore[type-arg]
    def get_internal_type(self) -> str:
        return "TextField"

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:  # type: ignore[override]
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None


class SealedTextField(_SealedField):
    """`clear`: words of a fixed vocabulary (a hang-up's known causes) stored as they are, so
    that counting by them stays a GROUP BY; they say nothing about a caller. Anything else,
    which may be whatever a phone system sent, is sealed."""

    description = "Text sealed at rest"

    def __init__(self, *args: Any, clear: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.clear = tuple(clear)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.clear:
            kwargs["clear"] = self.clear
        return name, path, args, kwargs

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:  # type: ignore[override]
        # Its clear words can be looked for (counting calls by cause); nothing else can.
        if self.clear and lookup_name == "exact":
            return _ClearWordExact
        if self.clear and lookup_name == "in":
            return _ClearWordIn
        return super().get_lookup(lookup_name)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else unseal(value)

    def to_python(self, value: Any) -> str | None:
        return value if value is None or isinstance(value, str) else str(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "" or value in self.clear:
            return value
        return seal(str(value))


class SealedJSONField(_SealedField):
    description = "JSON sealed at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        # Plaintext JSON (a row from before encryption) reads the same way.
        return None if value is None else json.loads(unseal(value))

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text if text in EMPTY_JSON else seal(text)


def personal_keys(revision: Any) -> frozenset[str]:
    """The keys a revision marks personal, read from its stored definition (so that a
    migration's historical model gives the same answer)."""
    return frozenset(item["key"] for item in (revision.definition_json or {}).get("fields", []) if item.get("personal"))


def _report_personal_keys(report: Any) -> frozenset[str]:
    # The revision is loaded by every path that saves values (else this reads it). The live
    # model keeps its revisions' keys per process (callforms.setups); a migration's historical
    # model has no such property and reads them from the definition.
    revision = report.revision
    keys = getattr(revision, "personal_keys", None)
    return keys if keys is not None else personal_keys(revision)


def _normal(value: Any) -> str:
    return value.strip().casefold() if isinstance(value, str) else json.dumps(value)


def value_hash(key: str, value: Any) -> str | list[str]:
    """The keyed hash a personal field's value is found by (exactly, ignoring case and the
    spaces around it); one per item for a list (a multiple choice)."""
    if isinstance(value, list):
        return [keyed_hash("value:" + key, _normal(item)) for item in value]
    return keyed_hash("value:" + key, _normal(value))


def is_sealed_value(value: Any) -> bool:
    return isinstance(value, dict) and SEALED in value and HASHED in value


def seal_values(values: Any, personal: frozenset[str]) -> Any:
    if not isinstance(values, dict) or not personal:
        return values
    return {
        key: (
            {SEALED: seal(json.dumps(value, ensure_ascii=False)), HASHED: value_hash(key, value)}
            if key in personal and value not in (None, "", []) and not is_sealed_value(value)
            else value
        )
        for key, value in values.items()
    }


def open_values(values: Any, opened: Callable[[str], str] = unseal) -> Any:
    """`values` with its sealed values opened; `opened`: `unseal`, or a `crypto.opener()`
    when a caller opens many documents in a row."""
    if is_sealed_value(values):  # one key of the values (`values_list("values__key")`)
        return string_or_loads(opened(values[SEALED]))
    if not isinstance(values, dict):
        return values
    # (is_sealed_value inlined: this runs for every value of every report read)
    return {
        key: string_or_loads(opened(value[SEALED]))
        if isinstance(value, dict) and SEALED in value and HASHED in value
        else value
        for key, value in values.items()
    }


class PersonalValuesField(models.JSONField):  # type: ignore[type-arg]
    """A report's `values`: the model must have a `revision` (FormRevision) foreign key."""

    description = "Field values, the personal ones sealed at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return open_values(super().from_db_value(value, expression, connection))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        # Only here is the report (its revision) known. `QuerySet.update` and `bulk_update`
        # skip pre_save: they must not write personal values (retention only removes them).
        values = getattr(model_instance, self.attname)
        if not values or not isinstance(values, dict):
            return values  # nothing to seal: the revision's keys need not be known (or read)
        return seal_values(values, _report_personal_keys(model_instance))


class PhoneHashField(models.CharField):  # type: ignore[type-arg]
    """The keyed hash of another field's E.164 number, kept up to date by every save (not by
    `QuerySet.update`, which must set it itself)."""

    def __init__(self, *args: Any, source: str = "phone_e164", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", HASH_HEX)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = phone_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
