"""Write an organization's directory as an HSDS 3.0 datapackage: datapackage.json (HSDS's own
descriptor for the tables Calldesk holds) and one CSV per table, rows in id order, records that
are not retired. `importer` reads it back to the very same records."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.resources import hsds


def export_directory(owner: CalldeskOrganization, directory: Path) -> dict[str, int]:
    """Write the datapackage into `directory` (made if missing); returns rows written per table."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table in hsds.tables().values():
        attnames = [table.attname(f) for f in table.fields]
        records = (
            table.model._default_manager.filter(owner=owner, retired_at=None).order_by("id").values_list(*attnames)
        )
        with (directory / table.path).open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(table.fields)
            count = 0
            for values in records.iterator(chunk_size=2000):
                writer.writerow([hsds.to_cell(value) for value in values])
                count += 1
        written[table.name] = count
    descriptor = dict(hsds.descriptor())
    (directory / "datapackage.json").write_text(json.dumps(descriptor, indent=1) + "\n", encoding="utf-8")
    return written
