"""Each app's migrations carry unique numbers that increase along their order, and a data
migration runs its own frozen copy of the logic (calldesk/lib/frozen_*.py), never live code that
may change after it was written. A database migrated under the old names (two telephony 0003s,
two reports 0004s) is taken to the new ones by `migrate` without running anything again."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

import calldesk

ROOT = Path(calldesk.__file__).parent
NUMBER = re.compile(r"^(\d{4})_\w+\.py$")


def migration_files() -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        if path.name != "__init__.py":
            found.setdefault(path.parent.parent.name, []).append(path)
    return found


def test_no_two_migrations_of_an_app_share_a_number() -> None:
    for app, paths in migration_files().items():
        numbers = Counter(NUMBER.match(path.name).group(1) for path in paths)  # type: ignore[union-attr]
        assert [n for n, count in numbers.items() if count > 1] == [], app


def test_every_migration_comes_after_the_migrations_of_its_app_it_depends_on() -> None:
    ours = set(migration_files())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in loader.disk_migrations.items():
        if app not in ours:
            continue
        for dep_app, dep_name in migration.dependencies:
            if dep_app == app:
                assert dep_name[:4] < name[:4], f"{app}.{name} depends on {dep_name}"


def calldesk_imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module, imported by `from`) for every import of calldesk code."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("calldesk"):
            found.append((node.module or "", True))
        elif isinstance(node, ast.Import):
            found += [(alias.name, False) for alias in node.names if alias.name.startswith("calldesk")]
    return found


def test_data_migrations_run_frozen_copies_only() -> None:
    for paths in migration_files().values():
        for path in paths:
            tree = ast.parse(path.read_text())
            if "RunPython" not in path.read_text():
                continue
            for module, from_import in calldesk_imports(tree):
                if from_import:  # code the migration runs
                    assert module.startswith("calldesk.lib.frozen_"), f"{path}: {module}"
                else:  # a field's class, as makemigrations writes it (calldesk.lib.sealed)
                    assert module.startswith("calldesk.lib."), f"{path}: {module}"


def test_the_frozen_copies_use_nothing_but_lib() -> None:
    for path in sorted((ROOT / "lib").glob("frozen_*.py")):
        for module, _ in calldesk_imports(ast.parse(path.read_text())):
            assert module.startswith("calldesk.lib."), f"{path}: {module}"


# What a database migrated before the numbers were made unique holds, in the order it applied them.
OLD_NAMES = {
    "telephony": [
        "0003_api_call_id_unique",
        "0003_crypt_sealed",
        "0004_lifecycle_answered_by",
        "0005_sec_sealed_cause",
        "0006_board_live_calls",
    ],
    "reports": [
        "0004_ux_empty_values",
        "0005_ux_reopen_action",
        "0004_crypt_sealed",
        "0006_editor_unchecked",
        "0007_lifecycle_answered_elsewhere",
        "0008_followups_history_action",
        "0009_scale_search_tokens",
        "0010_scale_list_indexes",
        "0011_structure_own_records",
    ],
}
KEPT_NAMES = {
    "telephony": ["0001_initial", "0002_call_answered_at"],
    "reports": ["0001_initial", "0002_submit_once", "0003_list_indexes"],
}
NEW_NAMES = {"telephony": "0007_craft_unique_numbers", "reports": "0012_craft_unique_numbers"}


def test_the_new_migrations_replace_exactly_the_old_names() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, name in NEW_NAMES.items():
        assert loader.disk_migrations[(app, name)].replaces == [(app, old) for old in OLD_NAMES[app]]


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_under_the_old_names_needs_nothing_run_again() -> None:
    recorder = MigrationRecorder(connection)
    # The squashed span only: migrations added after it were applied as usual and stay recorded.
    span = {name for app in NEW_NAMES for name in [*KEPT_NAMES[app], *OLD_NAMES[app], NEW_NAMES[app]]}
    ours = recorder.migration_qs.filter(app__in=NEW_NAMES, name__in=span)
    before = list(ours.values_list("app", "name"))  # a fresh `migrate` records old and new names
    try:
        ours.delete()
        for app, names in KEPT_NAMES.items():
            for name in [*names, *OLD_NAMES[app]]:
                recorder.record_applied(app, name)

        executor = MigrationExecutor(connection)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
        executor.migrate(executor.loader.graph.leaf_nodes())  # records the new names as applied
        applied = set(MigrationRecorder(connection).applied_migrations())
        assert set(NEW_NAMES.items()) <= applied
    finally:  # the next tests find the records as a fresh `migrate` left them
        ours.delete()
        for app, name in before:
            recorder.record_applied(app, name)
