"""Read an HSDS 3.0 directory (a datapackage directory, its datapackage.json, or HSDS JSON) and
make an organization's directory match it: all or nothing, idempotent by HSDS ids.

Reading and checking cells is frictionless' work (types, UUIDs, required fields, enums, lengths,
coordinates, repeated ids, against Calldesk's copy of HSDS's Table Schemas, never the schema a
file brings); this module adds what spans tables (references, ids of another directory) and
says every problem with its table, row and column. Writing (`apply`) happens only when no
problem was found, in one transaction."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import transaction
from django.utils import timezone
from frictionless import FrictionlessException, Resource, Schema, system

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.resources import hsds, limits

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]  # (what, done, total)


class ImportRefused(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Source:
    """What was read: each table's rows (HSDS values, in file order) with their row numbers."""

    rows: dict[str, list[tuple[int, Row]]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # tables HSDS has and Calldesk does not hold
    row_word: str = "row"  # "row" in a CSV (spreadsheet numbering), "item" in HSDS JSON


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0


@dataclass
class Summary:
    tables: dict[str, Counts]
    skipped: list[str]

    def changed(self) -> bool:
        return any(c.added or c.updated or c.retired for c in self.tables.values())

    def __str__(self) -> str:
        parts = [
            f"{name}: {c.added} added, {c.updated} updated, {c.retired} retired, {c.unchanged} unchanged"
            for name, c in self.tables.items()
            if c.added or c.updated or c.retired or c.unchanged
        ]
        if self.skipped:
            parts.append("not held by Calldesk, skipped: " + ", ".join(self.skipped))
        return "; ".join(parts) or "the directory is empty"


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        if len(self.items) < limits.MAX_PROBLEMS:
            self.items.append(f"{where}: {message}")
        elif len(self.items) == limits.MAX_PROBLEMS:
            self.items.append(f"… more problems not listed (the first {limits.MAX_PROBLEMS} are above)")

    def raise_any(self) -> None:
        if self.items:
            raise ImportRefused(self.items)


def place(table: hsds.Table, source: Source, number: int | None = None, column: str | None = None) -> str:
    where = table.path
    if number is not None:
        where += f", {source.row_word} {number}"
    if column:
        where += f", column {column}"
    return where


# Reading -------------------------------------------------------------------------------------


def read_path(path: Path, progress: Progress | None = None) -> Source:
    """Read and check every table of the directory at `path` (nothing is written); `progress`
    hears of each table read, as ("reading <file>", tables read, tables to read)."""
    problems = Problems()
    if path.is_dir():
        package = path / "datapackage.json"
        if package.is_file():
            source = _read_package(package, problems, progress=progress)
        else:
            # Without a descriptor, the tables are HSDS's file names that are there.
            found = {t.name: path / t.path for t in hsds.tables().values() if (path / t.path).is_file()}
            if not found:
                raise ImportRefused([f"{path}: holds neither datapackage.json nor any HSDS table (services.csv, …)"])
            source = _read_csv_files(path, found, problems, progress)
    elif path.is_file() and path.suffix.lower() == ".json":
        _check_size(path.name, path.stat().st_size, problems)
        problems.raise_any()
        try:
            document = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as error:
            raise ImportRefused([f"{path.name}: not JSON ({error})"]) from None
        if isinstance(document, dict) and "resources" in document:
            source = _read_package(path, problems, document, progress)
        else:
            source = _read_json_tables(path.name, document, problems, progress)
    elif path.exists():
        raise ImportRefused([f"{path}: give a datapackage directory, its datapackage.json, or an HSDS JSON file"])
    else:
        raise ImportRefused([f"{path}: no such file or directory"])
    problems.raise_any()
    _check_references(source, problems)
    problems.raise_any()
    return source


def _check_size(name: str, size: int, problems: Problems) -> None:
    if size > limits.MAX_IMPORT_BYTES:
        problems.add(
            name, f"the file is {size / 1048576:,.0f} MB; at most {limits.MAX_IMPORT_BYTES // 1048576} MB is imported"
        )


def _read_package(package: Path, problems: Problems, document: Any = None, progress: Progress | None = None) -> Source:
    if document is None:
        try:
            document = json.loads(package.read_bytes())
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise ImportRefused([f"{package.name}: cannot be read ({error})"]) from None
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        raise ImportRefused([f"{package.name}: has no list of resources"])
    files: dict[str, Path] = {}
    skipped: list[str] = []
    for index, resource in enumerate(resources, 1):
        name = resource.get("name") if isinstance(resource, dict) else None
        where = f"{package.name}, resource {index}"
        table = hsds.table_for(name) if isinstance(name, str) else None
        if table is None:
            skipped.append(str(name))
            continue
        relative = resource.get("path")
        # Only a file beside datapackage.json: never a URL, an absolute path or one that climbs out.
        if (
            not isinstance(relative, str)
            or "://" in relative
            or PurePosixPath(relative).is_absolute()
            or ".." in PurePosixPath(relative).parts
            or "\\" in relative
        ):
            problems.add(where, f"path {relative!r} must name a CSV file beside datapackage.json")
            continue
        files[table.name] = package.parent / relative
    problems.raise_any()
    source = _read_csv_files(package.parent, files, problems, progress)
    source.skipped = skipped
    return source


def _read_csv_files(base: Path, files: dict[str, Path], problems: Problems, progress: Progress | None = None) -> Source:
    present = {name: file for name, file in files.items() if file.is_file()}
    total = 0
    for file in present.values():
        size = file.stat().st_size
        total += size
        _check_size(file.name, size, problems)
    if total > limits.MAX_IMPORT_BYTES and not problems.items:
        problems.add(
            base.name or str(base),
            f"the tables together are {total / 1048576:,.0f} MB; at most "
            f"{limits.MAX_IMPORT_BYTES // 1048576} MB is imported",
        )
    for name, file in files.items():
        if name not in present:
            problems.add(file.name, "the datapackage names this file but it is missing")
    problems.raise_any()
    source = Source()
    for number, (name, file) in enumerate(present.items(), 1):
        table = hsds.tables()[name]
        if progress:
            progress(f"reading {table.path}", number - 1, len(present))
        try:
            labels = _labels(file)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            problems.add(table.path, f"cannot be read as UTF-8 CSV ({error})")
            continue
        missing = [f for f in table.fields if f not in labels and f in table.required]
        unknown = [label for label in labels if label not in table.fields]
        for column in missing:
            problems.add(place(table, source, 1, column), "this required column is missing")
        for column in unknown:
            problems.add(place(table, source, 1, column), "is not a field of this HSDS table")
        if missing or unknown or len(set(labels)) != len(labels):
            if len(set(labels)) != len(labels):
                problems.add(place(table, source, 1), "a column appears twice")
            continue
        # The file's columns, in its order (any order, optional ones may be left out).
        by_name = {f["name"]: f for f in table.schema["fields"]}
        schema = {**table.schema, "fields": [by_name[label] for label in labels]}
        resource = Resource(
            path=file.name,
            basepath=str(file.parent),
            schema=Schema.from_descriptor(schema),
            format="csv",
            encoding="utf-8",
        )
        source.rows[name] = _read_resource(table, resource, source, problems)
    if progress:
        progress("read", len(present), len(present))
    return source


def _labels(file: Path) -> list[str]:
    with file.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def _read_json_tables(name: str, document: Any, problems: Problems, progress: Progress | None = None) -> Source:
    """HSDS JSON in its tabular form: {"services.csv": [{…}, …], …} (or keyed by table name)."""
    if not isinstance(document, dict):
        raise ImportRefused([f'{name}: expected an object of tables, e.g. {{"services.csv": [...]}}'])
    source = Source(row_word="item")
    for number, (key, items) in enumerate(document.items(), 1):
        if progress:
            progress(f"reading {key}", number - 1, len(document))
        table = hsds.table_for(key)
        if table is None:
            source.skipped.append(key)
            continue
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            problems.add(f"{name}, {key}", "must be a list of objects")
            continue
        for number, item in enumerate(items, 1):
            for column in item:
                if column not in table.fields:
                    problems.add(place(table, source, number, column), "is not a field of this HSDS table")
        rows = [list(table.fields), *([item.get(f) for f in table.fields] for item in items)]
        resource = Resource(data=rows, schema=Schema.from_descriptor(table.schema))
        # Inline data counts its header as row 1 too; an item's number is one less.
        source.rows[table.name] = [(n - 1, row) for n, row in _read_resource(table, resource, source, problems)]
    if progress:
        progress("read", len(document), len(document))
    return source


def _read_resource(table: hsds.Table, resource: Resource, source: Source, problems: Problems) -> list[tuple[int, Row]]:
    rows: list[tuple[int, Row]] = []
    shift = 1 if source.row_word == "item" else 0
    with system.use_context(trusted=False):
        try:
            resource.open()
        except (FrictionlessException, OSError) as error:
            problems.add(table.path, f"cannot be read: {error}")
            return rows
        with resource:
            try:
                for row in resource.row_stream:  # type: ignore[attr-defined]
                    number = row.row_number - shift
                    if len(rows) >= limits.MAX_ROWS_PER_TABLE:
                        problems.add(table.path, f"has more than {limits.MAX_ROWS_PER_TABLE:,} rows")
                        break
                    for cell_error in row.errors:
                        column = getattr(cell_error, "field_name", None)
                        problems.add(place(table, source, number, column), _say(table, cell_error))
                    values = row.to_dict()
                    for column in table.uuids:
                        if isinstance(values.get(column), str):
                            values[column] = values[column].lower()
                    rows.append((number, values))
            except (FrictionlessException, UnicodeDecodeError, csv.Error) as error:
                problems.add(table.path, f"cannot be read: {error}")
    return rows


def _say(table: hsds.Table, error: Any) -> str:
    """frictionless' error, in the words an admin fixing the spreadsheet needs."""
    column = getattr(error, "field_name", None)
    cell = getattr(error, "cell", None)
    shown = repr(cell if len(str(cell)) <= 60 else str(cell)[:60] + "…")
    field: dict[str, Any] = next((f for f in table.schema["fields"] if f["name"] == column), {})
    if error.type == "type-error":
        kind = field.get("format") if field.get("format") in ("uuid", "email", "uri") else field.get("type")
        wanted = {
            "uuid": "a UUID",
            "number": "a number",
            "date": "a date (YYYY-MM-DD)",
            "time": "a time (HH:MM:SS)",
            "datetime": "a date and time (ISO 8601)",
            "string": "text",
            "email": "an email address",
            "uri": "a URI",
        }.get(str(kind), str(kind))
        return f"{shown} is not {wanted}"
    if error.type == "constraint-error":
        constraints = field.get("constraints", {})
        if "required" in error.note:
            return "is required"
        if "enum" in error.note:
            return f"{shown} must be one of: {', '.join(constraints['enum'])}"
        if "maxLength" in error.note:
            return f"is longer than {constraints['maxLength']:,} characters"
        if "minimum" in error.note or "maximum" in error.note:
            return f"{shown} must be from {constraints['minimum']} to {constraints['maximum']}"
        if "unique" in error.note:
            return f"{shown} appears in more than one row"
    if error.type in ("primary-key", "unique-error"):
        return "this id appears in more than one row"
    if error.type == "extra-cell":
        return "the row has more cells than the header"
    if error.type == "missing-cell":
        return "the row has fewer cells than the header"
    if error.type == "blank-row":
        return "the row is blank"
    return str(error.note or error.type)


def check_row(table_name: str, cells: dict[str, str]) -> dict[str, list[str]]:
    """What an import would say of one row, by column: a page editing a record checks what was
    typed against the same Table Schema and limits a file meets (hsds.tables), in the same words.
    `cells` are CSV cells (hsds.to_cell); references are the caller's to check."""
    table = hsds.tables()[table_name]
    by_name = {f["name"]: f for f in table.schema["fields"]}
    labels = [name for name in table.fields if name in cells]
    schema = {**table.schema, "fields": [by_name[label] for label in labels]}
    resource = Resource(data=[labels, [cells[label] for label in labels]], schema=Schema.from_descriptor(schema))
    found: dict[str, list[str]] = {}
    with system.use_context(trusted=False), resource:
        for row in resource.row_stream:  # type: ignore[attr-defined]
            for cell_error in row.errors:
                column = getattr(cell_error, "field_name", None) or ""
                found.setdefault(column, []).append(_say(table, cell_error))
    return found


def _check_references(source: Source, problems: Problems) -> None:
    ids = {name: {row["id"] for _, row in rows} for name, rows in source.rows.items()}
    for name, rows in source.rows.items():
        table = hsds.tables()[name]
        for number, row in rows:
            for column, target in table.references.items():
                value = row.get(column)
                if value is not None and value not in ids.get(target, ()):
                    problems.add(place(table, source, number, column), f"{value} is not the id of any {target}")
            if name == "attribute":
                entity = row.get("link_entity")
                if entity not in hsds.tables():
                    problems.add(
                        place(table, source, number, "link_entity"),
                        f"{entity!r} must name a table: {', '.join(hsds.TABLE_ORDER)}",
                    )
                elif row.get("link_id") not in ids.get(entity, ()):
                    problems.add(
                        place(table, source, number, "link_id"), f"{row.get('link_id')} is not the id of any {entity}"
                    )


# Writing -------------------------------------------------------------------------------------


def apply(owner: CalldeskOrganization, source: Source, progress: Progress | None = None) -> Summary:
    """Make `owner`'s directory hold exactly `source`: add, update, retire. One transaction."""
    problems = Problems()
    with transaction.atomic():
        _check_other_owners(owner, source, problems)
        problems.raise_any()
        counts = {name: Counts() for name in hsds.TABLE_ORDER}
        now = timezone.now()
        for number, name in enumerate(hsds.TABLE_ORDER):
            table = hsds.tables()[name]
            if progress:
                progress(f"writing {table.path}", number, len(hsds.TABLE_ORDER))
            counts[name] = _apply_table(owner, table, source.rows.get(name, []), now)
        if progress:
            progress("written", len(hsds.TABLE_ORDER), len(hsds.TABLE_ORDER))
    return Summary(counts, source.skipped)


def _check_other_owners(owner: CalldeskOrganization, source: Source, problems: Problems) -> None:
    for name, rows in source.rows.items():
        table = hsds.tables()[name]
        numbers = {row["id"]: number for number, row in rows}
        for taken in _chunked_ids(table, list(numbers), owner):
            problems.add(
                place(table, source, numbers[taken], "id"),
                f"{taken} is already used in another organization's directory",
            )


def _chunked_ids(table: hsds.Table, ids: list[Any], owner: CalldeskOrganization) -> Iterable[Any]:
    # SQLite allows a limited number of parameters per query.
    for start in range(0, len(ids), 900):
        chunk = [hsds.to_model_value(table, "id", i) for i in ids[start : start + 900]]
        for found in (
            table.model._default_manager.filter(id__in=chunk).exclude(owner=owner).values_list("id", flat=True)
        ):
            yield str(found)


def _apply_table(owner: CalldeskOrganization, table: hsds.Table, rows: list[tuple[int, Row]], now: Any) -> Counts:
    model = table.model
    attnames = [table.attname(f) for f in table.fields if f != "id"]
    existing = {obj.id: obj for obj in model._default_manager.filter(owner=owner)}
    counts = Counts()
    creates, updates, seen = [], [], set()
    for _, row in rows:
        values = {table.attname(f): hsds.to_model_value(table, f, row.get(f)) for f in table.fields}
        record_id = values.pop("id")
        seen.add(record_id)
        current = existing.get(record_id)
        if current is None:
            creates.append(model(id=record_id, owner=owner, **values))
            counts.added += 1
            continue
        changed = current.retired_at is not None
        for attname, value in values.items():
            if getattr(current, attname) != value:
                setattr(current, attname, value)
                changed = True
        if changed:
            current.retired_at = None
            updates.append(current)
            counts.updated += 1
        else:
            counts.unchanged += 1
    model._default_manager.bulk_create(creates, batch_size=500)
    if updates:
        model._default_manager.bulk_update(updates, [*attnames, "retired_at"], batch_size=200)
    gone = [key for key, obj in existing.items() if key not in seen and obj.retired_at is None]
    for start in range(0, len(gone), 900):
        counts.retired += model._default_manager.filter(id__in=gone[start : start + 900]).update(retired_at=now)
    return counts
