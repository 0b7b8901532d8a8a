"""Audit the installed dependencies for known vulnerabilities with pip-audit (run by
scripts/test.sh, so by CI).

Policy:
- A known vulnerability in an installed package fails the run, unless its id is listed in
  IGNORED below with the reason it does not apply (none today).
- When the vulnerability data source cannot be reached (no network, the PyPI JSON API or
  its mirror refusing), the dependencies could not be audited: that is said loudly as a
  warning and the run goes on, since no finding was made. pip-audit itself then either
  fails with a connection error or marks every package "not found on PyPI"; both count as
  unreachable. Anything else pip-audit cannot do fails the run.
- A few packages not found while the rest were audited (e.g. a local build) are listed as
  not audited, and the run goes on.

Usage: python scripts/dependency_audit.py [pip-audit path]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# Vulnerability id -> why it does not apply to Calldesk. Every entry needs a reason.
IGNORED: dict[str, str] = {}
NETWORK_ERRORS = (
    "ConnectionError",
    "ProxyError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "timed out",
    "ConnectTimeout",
    "SSLError",
)


@dataclass
class Verdict:
    ok: bool
    lines: list[str] = field(default_factory=list)


def judge(returncode: int, report: str, stderr: str) -> Verdict:
    """The policy above, applied to one pip-audit run (its JSON report and its stderr)."""
    try:
        dependencies = json.loads(report)["dependencies"] if report.strip() else None
    except (ValueError, KeyError, TypeError):
        dependencies = None
    if dependencies is None:
        if any(marker in stderr for marker in NETWORK_ERRORS):
            return Verdict(
                True,
                [
                    "WARNING: the vulnerability data source could not be reached; "
                    "dependencies were NOT audited (policy: warn and continue)."
                ],
            )
        return Verdict(False, [f"pip-audit failed (status {returncode}):", stderr.strip()[-2000:]])
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    if dependencies and not audited:
        return Verdict(
            True,
            [
                f"WARNING: the vulnerability data source answered for none of {len(skipped)} packages; "
                "dependencies were NOT audited (policy: warn and continue)."
            ],
        )
    lines: list[str] = []
    found = []
    for dependency in audited:
        for vuln in dependency.get("vulns", []):
            if vuln["id"] in IGNORED:
                lines.append(f"ignored {vuln['id']} in {dependency['name']}: {IGNORED[vuln['id']]}")
                continue
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            found.append(f"{dependency['name']} {dependency.get('version', '')}: {vuln['id']} (fixed in {fixes})")
    if skipped:
        lines.append("not audited: " + ", ".join(d["name"] for d in skipped))
    if found:
        return Verdict(False, ["Known vulnerabilities:", *(f"  {line}" for line in found), *lines])
    return Verdict(True, [f"{len(audited)} packages audited: no known vulnerability.", *lines])


def main() -> int:
    pip_audit = sys.argv[1] if len(sys.argv) > 1 else str(Path(sys.executable).with_name("pip-audit"))
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "report.json"
        done = subprocess.run(  # noqa: S603 - a fixed command line
            [pip_audit, "--skip-editable", "--progress-spinner", "off", "--format", "json", "--output", str(output)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        report = output.read_text() if output.exists() else ""
    verdict = judge(done.returncode, report, done.stderr)
    print("\n".join(verdict.lines))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
