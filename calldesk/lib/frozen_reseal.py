"""A frozen copy of the re-sealing the encryption upgrade migrations run (telephony
0004_crypt_sealed, reports 0006_crypt_sealed): `calldesk.vault.rotation` as it was when they were
written, minus what they do not use.

Never edit it to follow rotation.py: a migration must do on an old installation what it did when
it was written, whatever the live code has become since. Only the sealing primitives (the key
ring, seal and unseal, the stored shapes of sealed values) come from `calldesk.lib`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, transaction

from calldesk.lib.crypto import keyring, phone_hash, seal, sealed_key_id, unseal
from calldesk.lib.sealed import (
    EMPTY_JSON,
    HASHED,
    SEALED,
    PersonalValuesField,
    PhoneHashField,
    SealedJSONField,
    SealedTextField,
    is_sealed_value,
    seal_values,
)

BATCH = 500


@dataclass
class Tally:
    table: str
    rows: int = 0
    resealed: int = 0


def _fields(model: type[models.Model], kinds: tuple[type, ...]) -> list[Any]:
    return [field for field in model._meta.concrete_fields if isinstance(field, kinds)]


def _column(model: type[models.Model], name: str) -> str:
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    assert column is not None
    return str(column)


def _resealed_text(raw: str | None, current: str, json_text: bool, clear: tuple[str, ...] = ()) -> str | None:
    """The new stored text, or None when it is fine as it is."""
    if raw is None or raw == "" or sealed_key_id(raw) == current or (json_text and raw in EMPTY_JSON):
        return None
    if raw in clear:  # a word of the field's vocabulary, kept in clear (SealedTextField)
        return None
    plain = unseal(raw)
    return plain if json_text and plain in EMPTY_JSON else seal(plain)


class _Values:
    """A report's values column: personal keys sealed by the current key."""

    def __init__(self, model: type[models.Model], field: PersonalValuesField, using: str) -> None:
        self.field = field
        self.column = str(field.column)
        self.revisions = model._meta.get_field("revision").related_model
        self.using = using
        self.known: dict[int, frozenset[str]] = {}

    def personal(self, revision_id: int) -> frozenset[str]:
        if revision_id not in self.known:
            revision: Any = self.revisions._default_manager.using(self.using).get(pk=revision_id)  # type: ignore[union-attr]
            # The keys marked personal in the stored definition, as the definition read then.
            fields = (revision.definition_json or {}).get("fields", [])
            self.known[revision_id] = frozenset(item["key"] for item in fields if item.get("personal"))
        return self.known[revision_id]

    def resealed(self, raw: Any, revision_id: int, current: str) -> Any:
        values = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(values, dict):
            return None
        changed = False
        out: dict[str, Any] = {}
        for key, value in values.items():
            if is_sealed_value(value) and sealed_key_id(value[SEALED]) != current:
                value = {SEALED: seal(unseal(value[SEALED])), HASHED: value[HASHED]}
                changed = True
            out[key] = value
        plain = seal_values(out, self.personal(revision_id))
        if plain != out:
            out, changed = plain, True
        return self.field.get_db_prep_value(out, connections[self.using]) if changed else None


def reseal_model(
    model: type[models.Model], using: str = "default", batch: int = BATCH, progress: Callable[[Tally], None] = print
) -> Tally:
    meta = model._meta
    connection = connections[using]
    quote = connection.ops.quote_name
    current = keyring().primary.id
    texts = _fields(model, (SealedTextField, SealedJSONField))
    values = [_Values(model, f, using) for f in _fields(model, (PersonalValuesField,))]
    hashes = _fields(model, (PhoneHashField,))
    pk = _column(model, meta.pk.name)
    revision = _column(model, "revision") if values else ""
    columns = [pk, *(f.column for f in texts), *(v.column for v in values), *(h.column for h in hashes)]
    if values:
        columns.append(revision)
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""  # SQLite: the write lock of BEGIN IMMEDIATE
    table, key = quote(meta.db_table), quote(pk)
    # Names from the model's metadata, quoted; every value is a parameter.
    select = f"SELECT {', '.join(quote(c) for c in columns)} FROM {table} WHERE {key} > %s ORDER BY {key} LIMIT %s"  # noqa: S608  # nosec B608
    hash_sources = [(field.column, _column(model, field.source)) for field in hashes]

    def changes(record: dict[str, Any]) -> dict[str, Any]:
        update: dict[str, Any] = {}
        for field in texts:
            new = _resealed_text(
                record[field.column], current, isinstance(field, SealedJSONField), getattr(field, "clear", ())
            )
            if new is not None:
                update[field.column] = new
        for item in values:
            new = item.resealed(record[item.column], record[revision], current)
            if new is not None:
                update[item.column] = new
        for column, source in hash_sources:
            expected = phone_hash(unseal(record[source]) if record[source] else "")
            if record[column] != expected:  # never filled, or CALLDESK_HASH_KEY changed
                update[column] = expected
        return update

    tally = Tally(meta.db_table)
    after: Any = -1
    while True:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(select + lock, [after, batch])
            rows = cursor.fetchall()
            if not rows:
                return tally
            # Rows that change the same columns are written by one executemany.
            updates: dict[tuple[str, ...], list[list[Any]]] = {}
            for row in rows:
                record = dict(zip(columns, row, strict=True))
                update = changes(record)
                if update:
                    updates.setdefault(tuple(update), []).append([*update.values(), record[pk]])
            for names, params in updates.items():
                sets = ", ".join(f"{quote(column)} = %s" for column in names)
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE {key} = %s", params)  # noqa: S608 - as the select  # nosec B608
                tally.resealed += len(params)
            tally.rows += len(rows)
            after = rows[-1][0]
        progress(tally)
