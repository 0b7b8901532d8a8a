"""The resource directory's actions, called by the command, the admin pages and tests alike."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.db import transaction

from calldesk.accounts.models import Organization as CalldeskOrganization
from calldesk.resources import exporter, generate, importer, search


def import_directory(
    owner: CalldeskOrganization, path: Path, progress: importer.Progress | None = None
) -> importer.Summary:
    """Make `owner`'s directory match the HSDS file(s) at `path`; raises ImportRefused, changing nothing."""
    source = importer.read_path(path)
    with transaction.atomic():
        summary = importer.apply(owner, source, progress)
        search.rebuild_index(owner)
    return summary


def export_directory(owner: CalldeskOrganization, directory: Path) -> dict[str, int]:
    return exporter.export_directory(owner, directory)


def load_demo_directory(owner: CalldeskOrganization) -> importer.Summary:
    """An invented directory (a few dozen services with terms, places, hours and languages);
    idempotent, since its ids are derived from names."""
    with tempfile.TemporaryDirectory(prefix="calldesk-demo-directory-") as folder:
        rows = generate.make_directory(services=36, locations=24, terms=12, seed=7)
        return import_directory(owner, generate.write_datapackage(rows, Path(folder)))
