"""`make audit` (scripts/audit.py): a finding fails it; an advisory database it cannot reach is said plainly
and does not fail it; packages it could not look up are never counted as passed."""

import importlib.util
import sys
from pathlib import Path

# Loaded under its own name: "audit" is the audit-trail app, which must stay importable.
SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit.py"
SPEC = importlib.util.spec_from_file_location("audit_script", SCRIPT)
audit = importlib.util.module_from_spec(SPEC)
sys.modules["audit_script"] = audit  # dataclasses look their module up
SPEC.loader.exec_module(audit)

SKIPPED = "Dependency not found on PyPI and could not be audited: x (1.0)"


def test_pip_audit_that_looked_nothing_up_is_not_a_pass():
    report = {"dependencies": [{"name": "django", "skip_reason": SKIPPED}, {"name": "celery", "skip_reason": SKIPPED}]}
    outcome = audit.read_pip_audit(report)
    assert outcome.unreachable and not outcome.findings
    assert outcome.lines() == [
        "Python (uv.lock, pip-audit): NOT AUDITED - the advisory database could not be reached "
        "(none of the 2 packages could be looked up)."
    ]


def test_pip_audit_findings_and_partly_skipped_packages():
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.1", "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.2"]}]},
            {"name": "nh3", "version": "0.3", "vulns": []},
            {"name": "private-pkg", "skip_reason": SKIPPED},
        ]
    }
    outcome = audit.read_pip_audit(report)
    assert not outcome.unreachable and outcome.audited == 2
    assert outcome.findings == ["django 5.2.1: PYSEC-1 (fixed in 5.2.2)"]
    clean = audit.read_pip_audit({"dependencies": report["dependencies"][1:]})
    assert clean.lines() == [
        "Python (uv.lock, pip-audit): no known vulnerabilities in 1 locked packages; 1 could not be looked up: "
        "private-pkg."
    ]


def test_npm_audit_unreachable_and_findings():
    refused = audit.read_npm_audit(
        {"message": "405 Method Not Allowed - POST /advisories", "error": {"summary": ""}}, 1
    )
    assert refused.unreachable and "405 Method Not Allowed" in refused.lines()[0]
    found = audit.read_npm_audit(
        {"vulnerabilities": {"htmx.org": {"severity": "high", "range": "<2.0.1"}}, "metadata": {}}, 1
    )
    assert not found.unreachable and found.findings == ["htmx.org: high (<2.0.1)"]
    clean = audit.read_npm_audit({"vulnerabilities": {}, "metadata": {"dependencies": {"total": 2}}}, 0)
    assert clean.lines() == [
        "JavaScript (package-lock.json, npm audit): no known vulnerabilities in 2 locked packages."
    ]


def test_main_fails_only_on_findings(monkeypatch, capsys):
    unreachable = audit.Outcome("Python", unreachable=True, note="offline")
    monkeypatch.setattr(audit, "run_pip_audit", lambda: unreachable)
    monkeypatch.setattr(audit, "run_npm_audit", lambda: audit.Outcome("JavaScript", audited=2))
    assert audit.main() == 0
    assert "audit: incomplete" in capsys.readouterr().out
    monkeypatch.setattr(audit, "run_npm_audit", lambda: audit.Outcome("JavaScript", findings=["x: high"]))
    assert audit.main() == 1
