"""The connector as a desktop gets it: one zipapp file run by a plain Python, or one pip install;
it imports nothing from Calldesk and needs nothing beyond the standard library."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.connector.harness import CONNECTOR_DIR, ROOT, Receiver, write_settings


# The oldest Python the connector supports, where this machine has it, besides the suite's own.
def _python_310() -> list[str]:
    """A working Python 3.10 (a version manager's shim may exist without one)."""
    for candidate in [shutil.which("python3.10"), *sorted(Path("/root/.pyenv/versions").glob("3.10*/bin/python3.10"))]:
        if (
            candidate
            and subprocess.run([str(candidate), "-I", "-c", "import sqlite3"], capture_output=True).returncode == 0
        ):
            return [str(candidate)]
    return []


PYTHONS = [sys.executable, *_python_310()]


@pytest.mark.parametrize("python", PYTHONS)
def test_the_zipapp_runs_with_no_package_installed(tmp_path: Path, receiver: Receiver, python: str) -> None:
    app = tmp_path / "calldesk-connector.pyz"
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-connector-zipapp.sh"), str(app)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    # -I: isolated, no site-packages, no PYTHONPATH, no current directory on the path.
    version = subprocess.run([python, "-I", str(app), "--version"], capture_output=True, text=True)
    assert version.stdout.strip() == "calldesk-connector 0.1.0"
    settings = write_settings(
        tmp_path,
        {
            "calldesk": {"url": receiver.url, "report_ver": "9991234", "sink": "api", "token": "cdk_" + "z" * 40},
            "connector": {"sources": "stdin"},
        },
    )
    done = subprocess.run(
        [python, "-I", str(app), "--settings", str(settings), "run"],
        input=json.dumps({"ani": "+15551230500", "callId": "zip-1"}) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [c["callId"] for c in receiver.calls()] == ["zip-1"]


def test_it_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"calldesk_connector"}
    for path in (CONNECTOR_DIR / "calldesk_connector").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_sources_import_nothing_from_the_app_that_runs_them() -> None:
    """The exception sources raise lives with them: app.py imports sources, never the reverse."""
    for path in (CONNECTOR_DIR / "calldesk_connector" / "sources").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module != "calldesk_connector.app", f"{path.name} imports the app"
