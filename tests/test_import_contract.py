"""The drawing of the code holds: the import contract in pyproject.toml is kept, and the seams it
names are the only ones (telephony tells the consoles of calls without importing push)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contract_is_kept() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_telephony_imports_nothing_of_push_and_only_the_drafts_of_reports() -> None:
    graph = grimp.build_graph("calldesk")
    reached = {
        imported
        for module in graph.find_descendants("calldesk.telephony")
        for imported in graph.find_modules_directly_imported_by(module)
    }
    assert not {m for m in reached if m.startswith("calldesk.push")}
    assert {m for m in reached if m.startswith("calldesk.reports")} <= {
        "calldesk.reports.drafts",
        "calldesk.reports.models",
    }
    # Push reads calls through their own relations: no other app's services or views.
    pushed = {
        imported
        for module in graph.find_descendants("calldesk.push")
        for imported in graph.find_modules_directly_imported_by(module)
    }
    assert not {m for m in pushed if m.startswith(("calldesk.telephony.services", "calldesk.telephony.lifecycle"))}


def test_the_architecture_map_names_every_app_and_the_docs_stand_alone() -> None:
    """The map lists every app of the project (and those announced), and no doc points a reader
    at the product spec, which is not in the repository."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    apps = [path.parent.name for path in (ROOT / "calldesk").glob("*/apps.py")]
    for app in [*apps, "lib", "followups", "risk", "callers", "resources"]:
        assert f"| `{app}" in text, app
    for doc in [*(ROOT / "docs").rglob("*.md"), ROOT / "connector" / "README.md"]:
        assert "SPEC" not in doc.read_text(), doc
