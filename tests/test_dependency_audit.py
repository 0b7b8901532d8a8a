"""The dependency audit's policy (scripts/dependency_audit.py): a known vulnerability fails
CI; an unreachable data source is a loud warning and the run goes on; other errors fail."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dependency_audit", ROOT / "scripts" / "dependency_audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["dependency_audit"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


audit = load()


def report(*dependencies: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


DJANGO_VULN = {
    "name": "django",
    "version": "5.2.0",
    "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"], "aliases": ["CVE-2025-1"], "description": "x"}],
}


def test_a_known_vulnerability_fails_and_is_named() -> None:
    verdict = audit.judge(1, report(DJANGO_VULN, {"name": "redis", "version": "5.0", "vulns": []}), "")
    assert not verdict.ok
    assert "  django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1)" in verdict.lines


def test_an_ignored_vulnerability_passes_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(audit.IGNORED, "PYSEC-2025-1", "only affects a backend we do not use")
    verdict = audit.judge(1, report(DJANGO_VULN), "")
    assert verdict.ok
    assert "ignored PYSEC-2025-1 in django: only affects a backend we do not use" in verdict.lines


def test_a_clean_audit_passes() -> None:
    verdict = audit.judge(0, report({"name": "django", "version": "5.2.8", "vulns": []}), "")
    assert verdict.ok and verdict.lines == ["1 packages audited: no known vulnerability."]


def test_an_unreachable_source_warns_and_goes_on() -> None:
    refused = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org'): Max retries exceeded"
    verdict = audit.judge(1, "", refused)
    assert verdict.ok and "NOT audited" in verdict.lines[0]
    nothing_found = report(*({"name": n, "skip_reason": "Dependency not found on PyPI"} for n in ("django", "redis")))
    verdict = audit.judge(0, nothing_found, "")
    assert verdict.ok and "answered for none of 2 packages" in verdict.lines[0]


def test_any_other_failure_fails() -> None:
    verdict = audit.judge(2, "", "pip-audit: error: unrecognized arguments")
    assert not verdict.ok


def test_some_packages_not_found_are_listed() -> None:
    verdict = audit.judge(
        0, report({"name": "django", "version": "5.2.8", "vulns": []}, {"name": "local", "skip_reason": "x"}), ""
    )
    assert verdict.ok and "not audited: local" in verdict.lines


@pytest.mark.slow
def test_the_real_script_warns_and_goes_on_without_network() -> None:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:1", "HTTP_PROXY": "http://127.0.0.1:1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "dependency_audit.py"), str(pip_audit)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dependencies were NOT audited" in done.stdout
