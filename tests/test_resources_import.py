"""`calldesk resources import PATH --org SLUG` and `calldesk resources export DIR`: an HSDS 3.0
directory in and out, all or nothing, idempotent by HSDS ids, every problem with its place."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from calldesk.resources import hsds
from calldesk.resources.generate import make_directory, write_datapackage
from calldesk.resources.models import Location, Service
from tests.cast import Cast


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("resources", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def count_records() -> int:
    return sum(table.model.objects.count() for table in hsds.tables().values())


def read_tables(directory: Path) -> dict[str, list[dict[str, str]]]:
    found = {}
    for table in hsds.tables().values():
        with (directory / table.path).open(encoding="utf-8", newline="") as file:
            found[table.name] = sorted(csv.DictReader(file), key=lambda row: row["id"])
    return found


@pytest.fixture
def example(tmp_path: Path) -> dict[str, list[dict]]:
    """The tests' HSDS 3.0 example: every table Calldesk holds, rows that refer to each other."""
    return make_directory(services=12, locations=6, terms=10)


def test_the_models_follow_the_hsds_field_names(db: None) -> None:
    for table in hsds.tables().values():
        attnames = {f.attname for f in table.model._meta.concrete_fields}
        missing = [f for f in table.fields if table.attname(f) not in attnames]
        assert missing == [], table.name
        for field in table.required:
            model_field = next(f for f in table.model._meta.concrete_fields if f.attname == table.attname(field))
            assert not model_field.null and not model_field.blank, f"{table.name}.{field} is required in HSDS"


def test_it_imports_every_table_and_exports_the_same_rows(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "in")
    out, _ = run("import", str(tmp_path / "in"), "--org", "lifeline")
    assert "service: 12 added" in out and "attribute: 12 added" in out
    assert Service.objects.filter(owner=cast.org_a).count() == 12

    run("export", str(tmp_path / "out"), "--org", "lifeline")
    exported = read_tables(tmp_path / "out")
    for name, rows in example.items():
        assert exported[name] == sorted(rows, key=lambda row: row["id"]), name
        assert rows, f"the example has no {name} rows"
    assert json.loads((tmp_path / "out" / "datapackage.json").read_text())["version"] == "3.0.0"


def test_an_export_imports_back_unchanged(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "in")
    run("import", str(tmp_path / "in" / "datapackage.json"), "--org", "lifeline")
    run("export", str(tmp_path / "first"), "--org", "lifeline")
    out, _ = run("import", str(tmp_path / "first"), "--org", "lifeline")
    assert " added" in out and "1 added" not in out and " updated" in out
    assert all("0 added, 0 updated, 0 retired" in part for part in out.split("; ")), out
    run("export", str(tmp_path / "second"), "--org", "lifeline")
    for file in (tmp_path / "first").iterdir():
        assert file.read_bytes() == (tmp_path / "second" / file.name).read_bytes(), file.name


def test_a_newer_file_updates_adds_and_retires(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "v1")
    run("import", str(tmp_path / "v1"), "--org", "lifeline")
    renamed, dropped = example["service"][0], example["service"][1]
    renamed["name"] = "Renamed food bank"
    # Drop the second service and every row that refers to it.
    for name, rows in example.items():
        example[name] = [r for r in rows if dropped["id"] not in (r.get("service_id"), r.get("link_id"), r["id"])]
    example["service"].append({**example["service"][2], "id": "0b7d5f4e-1111-4c8e-9a55-2f4c1e2b3a10", "name": "New"})

    write_datapackage(example, tmp_path / "v2")
    out, _ = run("import", str(tmp_path / "v2"), "--org", "lifeline")
    assert "service: 1 added, 1 updated, 1 retired, 10 unchanged" in out
    assert Service.objects.get(id=renamed["id"]).name == "Renamed food bank"
    retired = Service.objects.get(id=dropped["id"])
    assert retired.retired_at is not None
    run("export", str(tmp_path / "out"), "--org", "lifeline")
    assert dropped["id"] not in (tmp_path / "out" / "services.csv").read_text()

    # The older file again brings the retired service back.
    out, _ = run("import", str(tmp_path / "v1"), "--org", "lifeline")
    assert "service: 0 added, 2 updated, 1 retired" in out
    assert Service.objects.get(id=dropped["id"]).retired_at is None


def test_it_reads_hsds_json(cast: Cast, tmp_path: Path, example: dict) -> None:
    document = {hsds.tables()[name].path: rows for name, rows in example.items()}
    (tmp_path / "directory.json").write_text(json.dumps(document))
    out, _ = run("import", str(tmp_path / "directory.json"), "--org", "lifeline")
    assert "service: 12 added" in out
    document["services.csv"][3]["id"] = "nope"
    (tmp_path / "directory.json").write_text(json.dumps(document))
    with pytest.raises(CommandError):
        run("import", str(tmp_path / "directory.json"), "--org", "lifeline")


def broken(example: dict, table: str, index: int, **changes: str) -> dict:
    example[table][index].update(changes)
    return example


@pytest.mark.parametrize(
    ("table", "index", "changes", "expected"),
    [
        ("service", 2, {"name": ""}, "services.csv, row 4, column name: is required"),
        ("service", 0, {"status": "open"}, "services.csv, row 2, column status: 'open' must be one of: active"),
        ("location", 1, {"id": "not-a-uuid"}, "locations.csv, row 3, column id: 'not-a-uuid' is not a UUID"),
        (
            "service",
            4,
            {"organization_id": "3f1b9a7e-0000-4000-8000-000000000000"},
            "services.csv, row 6, column organization_id: 3f1b9a7e-0000-4000-8000-000000000000 is not the id of any "
            "organization",
        ),
        ("location", 2, {"latitude": "123.5"}, "locations.csv, row 4, column latitude: '123.5' must be from -90 to 90"),
        ("location", 3, {"longitude": "east"}, "locations.csv, row 5, column longitude: 'east' is not a number"),
        ("schedule", 0, {"opens_at": "9am"}, "schedules.csv, row 2, column opens_at: '9am' is not a time (HH:MM:SS)"),
        ("service", 5, {"description": "x" * 20_001}, "services.csv, row 7, column description: is longer than 20,000"),
        ("service", 6, {"id": "__same__"}, "services.csv, row 8, column id:"),
    ],
)
def test_a_broken_file_is_refused_with_its_place_and_nothing_is_imported(
    cast: Cast, tmp_path: Path, example: dict, table: str, index: int, changes: dict, expected: str
) -> None:
    if changes.get("id") == "__same__":
        changes = {"id": example[table][0]["id"]}
    write_datapackage(broken(example, table, index, **changes), tmp_path / "bad")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("resources", "import", str(tmp_path / "bad"), "--org", "lifeline", stderr=err)
    assert expected in err.getvalue()
    assert count_records() == 0


def test_a_broken_file_leaves_the_directory_as_it_was(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "good")
    run("import", str(tmp_path / "good"), "--org", "lifeline")
    before = count_records()
    example["service"][0]["name"] = "Changed"
    example["location"][0]["latitude"] = "-91"
    write_datapackage(example, tmp_path / "bad")
    with pytest.raises(CommandError):
        run("import", str(tmp_path / "bad"), "--org", "lifeline")
    assert count_records() == before
    assert Service.objects.get(id=example["service"][0]["id"]).name != "Changed"


def test_a_too_large_file_is_refused_before_it_is_read(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "big")
    with (tmp_path / "big" / "services.csv").open("r+b") as file:
        file.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, nothing to write
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("resources", "import", str(tmp_path / "big"), "--org", "lifeline", stderr=err)
    assert "services.csv: the file is 200 MB; at most 100 MB is imported" in err.getvalue()
    assert count_records() == 0


def test_a_missing_required_column_and_an_unknown_one_are_named(cast: Cast, tmp_path: Path, example: dict) -> None:
    for row in example["address"]:
        row["zip"] = row.pop("postal_code")
    write_datapackage({**example, "address": []}, tmp_path / "bad")
    with (tmp_path / "bad" / "addresses.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(example["address"][0]))
        writer.writeheader()
        writer.writerows(example["address"])
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("resources", "import", str(tmp_path / "bad"), "--org", "lifeline", stderr=err)
    assert "addresses.csv, row 1, column postal_code: this required column is missing" in err.getvalue()
    assert "addresses.csv, row 1, column zip: is not a field of this HSDS table" in err.getvalue()


def test_a_datapackage_never_reads_outside_its_directory(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "pkg")
    descriptor = json.loads((tmp_path / "pkg" / "datapackage.json").read_text())
    descriptor["resources"][1]["path"] = "../../etc/passwd"
    (tmp_path / "pkg" / "datapackage.json").write_text(json.dumps(descriptor))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("resources", "import", str(tmp_path / "pkg"), "--org", "lifeline", stderr=err)
    assert "datapackage.json, resource 2: path '../../etc/passwd' must name a CSV file" in err.getvalue()


def test_ids_of_another_organizations_directory_are_refused(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "pkg")
    run("import", str(tmp_path / "pkg"), "--org", "other")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("resources", "import", str(tmp_path / "pkg"), "--org", "lifeline", stderr=err)
    first = sorted(example["organization"], key=lambda r: r["id"])[0]
    assert "is already used in another organization's directory" in err.getvalue()
    assert first["id"] in err.getvalue()
    assert Location.objects.filter(owner=cast.org_a).count() == 0


def test_a_file_that_is_not_utf8_is_refused(cast: Cast, tmp_path: Path, example: dict) -> None:
    write_datapackage(example, tmp_path / "pkg")
    (tmp_path / "pkg" / "phones.csv").write_bytes("id,number\n\xff\xfe,1\n".encode("latin-1"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("resources", "import", str(tmp_path / "pkg"), "--org", "lifeline", stderr=err)
    assert "phones.csv" in err.getvalue()
    assert count_records() == 0


def test_an_unknown_organization_is_an_error(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no organization 'nope'"):
        run("export", str(tmp_path), "--org", "nope")
