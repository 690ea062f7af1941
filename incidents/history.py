"""Diffs between postmortem revisions, as data a template renders (and escapes) line by line."""

import difflib
from typing import Any

from incidents.models import POSTMORTEM_SECTIONS

DIFF_SECTIONS = [*POSTMORTEM_SECTIONS, ("factors", "Contributing factors")]


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(f"[{f.get('category', '')}] {f.get('description', '')}" for f in value if isinstance(f, dict))
    return value or ""


def _kind(line: str) -> str:
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "ctx")


def revision_diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """[{"label", "lines": [(kind, text)]}] for each section that changed between two snapshots."""
    old = old or {}
    changes = []
    for name, label in DIFF_SECTIONS:
        before, after = _as_text(old.get(name)), _as_text(new.get(name))
        if before == after:
            continue
        diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1))[2:]
        changes.append({"label": label, "lines": [(_kind(line), line) for line in diff]})
    return changes


def conflicting_sections(mine: dict[str, Any], theirs: dict[str, Any]) -> list[dict[str, Any]]:
    """Sections where the stored version differs from what the user tried to save (for the merge view)."""
    return [
        {"name": name, "label": label, "mine": _as_text(mine.get(name)), "theirs": _as_text(theirs.get(name))}
        for name, label in DIFF_SECTIONS
        if _as_text(mine.get(name)) != _as_text(theirs.get(name))
    ]
