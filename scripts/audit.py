"""`make audit`: known vulnerabilities in the locked dependencies (uv.lock with pip-audit, package-lock.json
with npm audit).

Exit status 1 when a locked package has a known vulnerability. When an advisory database cannot be
reached (no network, a registry mirror without the vulnerability API), it says so plainly, names
what was not audited, and does not fail: an audit that could not run is not a pass, but neither is
it a finding.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / "var" / "tools" / "bin" / "uv"
PIP_AUDIT = ROOT / ".venv" / "bin" / "pip-audit"


@dataclass
class Outcome:
    tool: str
    audited: int = 0
    unreachable: bool = False
    findings: list[str] = field(default_factory=list)
    note: str = ""

    def lines(self) -> list[str]:
        if self.unreachable:
            return [f"{self.tool}: NOT AUDITED - the advisory database could not be reached ({self.note})."]
        if self.findings:
            return [f"{self.tool}: {len(self.findings)} known vulnerabilities:", *(f"  {f}" for f in self.findings)]
        return [f"{self.tool}: no known vulnerabilities in {self.audited} locked packages{self.note}."]


def read_pip_audit(report: dict, stderr: str = "") -> Outcome:
    """pip-audit's JSON report: packages it could not look up are skipped, not passed."""
    outcome = Outcome("Python (uv.lock, pip-audit)")
    deps = report.get("dependencies", [])
    skipped = [d["name"] for d in deps if d.get("skip_reason")]
    outcome.audited = len(deps) - len(skipped)
    for dep in deps:
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            outcome.findings.append(f"{dep['name']} {dep.get('version', '')}: {vuln.get('id')} (fixed in {fixed})")
    if deps and outcome.audited == 0:
        outcome.unreachable = True
        outcome.note = f"none of the {len(deps)} packages could be looked up"
    elif skipped:
        outcome.note = f"; {len(skipped)} could not be looked up: {', '.join(skipped)}"
    if not deps and stderr:
        outcome.unreachable = True
        outcome.note = stderr.strip().splitlines()[-1][:200] if stderr.strip() else "no report"
    return outcome


def read_npm_audit(report: dict, returncode: int) -> Outcome:
    """`npm audit --json`: an `error` object (the registry refused or was unreachable) is not a finding."""
    outcome = Outcome("JavaScript (package-lock.json, npm audit)")
    if "error" in report:
        outcome.unreachable = True
        error = report["error"] if isinstance(report["error"], dict) else {}
        reason = report.get("message") or error.get("summary") or error.get("code") or "npm audit failed"
        outcome.note = str(reason).splitlines()[0][:200]
        return outcome
    for name, vuln in sorted(report.get("vulnerabilities", {}).items()):
        outcome.findings.append(f"{name}: {vuln.get('severity', '?')} ({vuln.get('range', '')})")
    outcome.audited = report.get("metadata", {}).get("dependencies", {}).get("total", 0)
    if returncode not in (0, 1) and not outcome.findings:
        outcome.unreachable, outcome.note = True, f"npm audit exited {returncode}"
    return outcome


def run_pip_audit() -> Outcome:
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / "requirements.txt"
        subprocess.run(
            [str(UV), "export", "--frozen", "--all-groups", "--no-emit-project", "-q", "-o", str(requirements)],
            cwd=ROOT,
            check=True,
        )
        report_path = Path(tmp) / "report.json"
        result = subprocess.run(
            [str(PIP_AUDIT), "-r", str(requirements), "--no-deps", "--disable-pip", "--progress-spinner", "off"]
            + ["-f", "json", "-o", str(report_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        report = json.loads(report_path.read_text()) if report_path.exists() and report_path.stat().st_size else {}
    return read_pip_audit(report, result.stderr if not report else "")


def run_npm_audit() -> Outcome:
    try:
        result = subprocess.run(
            ["npm", "audit", "--package-lock-only", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Outcome("JavaScript (package-lock.json, npm audit)", unreachable=True, note=str(exc)[:200])
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        report = {"error": {"summary": (result.stderr or "unreadable output").strip()[:200]}}
    return read_npm_audit(report, result.returncode)


def main() -> int:
    outcomes = [run_pip_audit(), run_npm_audit()]
    for outcome in outcomes:
        print("\n".join(outcome.lines()))
    if any(o.unreachable for o in outcomes):
        print("audit: incomplete - run it again where the advisory databases can be reached.")
    return 1 if any(o.findings for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
