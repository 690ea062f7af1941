"""In-memory lens: a versioned checklist of pillars, questions, choices and risk rules.

Every object is a frozen dataclass, so a loaded lens can be shared and compared safely. The
parsers in :mod:`reviews.lensfile.aws` and :mod:`reviews.lensfile.opsx_yaml` build these objects;
:mod:`reviews.lensfile.validate` checks them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviews.lensfile.errors import LensIssue

#: The only custom lens schema version the AWS Well-Architected Tool defines.
SCHEMA_VERSION = "2021-11-01"

# Limits from the AWS Well-Architected Tool lens format specification. The opsx YAML format uses the
# same limits, so that every lens opsx accepts can also be exported to the AWS format.
MAX_NAME = 128
#: The AWS tool refuses lens files over 500 KB (we count a KB as 1024 bytes); opsx does so for both formats.
MAX_FILE_BYTES = 500 * 1024


def too_large_issue(size: int) -> LensIssue:
    from reviews.lensfile.errors import LensIssue

    return LensIssue("", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} ({MAX_FILE_BYTES // 1024} KiB)")


MAX_TITLE = 128
MAX_TEXT = 2048
MIN_ID = 3
MAX_ID = 128
MAX_VERSION_LABEL = 32
MAX_PILLARS = 10
MAX_QUESTIONS_PER_PILLAR = 20
MAX_CHOICES_PER_QUESTION = 15
MAX_RISK_RULES = 3
MAX_ADDITIONAL_PER_TYPE = 5
#: Suffix that marks a choice as the question's "None of these" choice.
NONE_OF_THESE_SUFFIX = "_no"
#: The condition text of a question's fallback rule.
DEFAULT_CONDITION = "default"
#: Titles that mark a "None of these" choice in files whose ids do not end in ``_no`` (AWS files only).
NONE_OF_THESE_TITLE = re.compile(r"^\s*none\s+of\s+(these|those|the\s+above|above)\b", re.IGNORECASE)


class Risk(StrEnum):
    HIGH_RISK = "HIGH_RISK"
    MEDIUM_RISK = "MEDIUM_RISK"
    NO_RISK = "NO_RISK"


#: The risk of an answer that matches none of its question's rules. Only a question without a
#: ``default`` rule (accepted from AWS files, with a warning) can get here: like the AWS tool, opsx
#: then identifies no risk.
NO_MATCH_RISK = Risk.NO_RISK


def titled_none_of_these(title: str) -> bool:
    """Does a choice title read as "None of these" ("None of the above", ...)?"""
    return bool(NONE_OF_THESE_TITLE.match(title))


class ResourceType(StrEnum):
    HELPFUL_RESOURCE = "HELPFUL_RESOURCE"
    IMPROVEMENT_PLAN = "IMPROVEMENT_PLAN"


@dataclass(frozen=True)
class Resource:
    """A piece of guidance: text, optionally with a link."""

    display_text: str
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"display_text": self.display_text, "url": self.url}


@dataclass(frozen=True)
class AdditionalResource:
    """A group of extra helpful resources or improvement plan items for a choice."""

    type: ResourceType
    content: tuple[Resource, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"type": str(self.type), "content": [r.to_dict() for r in self.content]}


@dataclass(frozen=True)
class Choice:
    """A best practice the reviewed system may follow, or the question's "None of these" choice."""

    id: str
    title: str
    helpful_resource: Resource | None = None
    improvement_plan: Resource | None = None
    additional_resources: tuple[AdditionalResource, ...] = ()
    is_none_of_these: bool = False
    #: Longer text shown under the title. Not in the AWS specification, but found in published files.
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "title": self.title,
            "helpful_resource": _opt(self.helpful_resource),
            "improvement_plan": _opt(self.improvement_plan),
            "additional_resources": [a.to_dict() for a in self.additional_resources],
            "is_none_of_these": self.is_none_of_these,
        }
        if self.description:
            # Only when present, so that the fingerprints of lenses stored before choices had a
            # description do not change.
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class RiskRule:
    """Maps a Boolean condition over choice ids (or ``default``) to a risk."""

    condition: str
    risk: Risk

    @property
    def is_default(self) -> bool:
        return self.condition.strip() == DEFAULT_CONDITION

    def to_dict(self) -> dict[str, Any]:
        return {"condition": _canonical_condition(self.condition), "risk": str(self.risk)}


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    description: str
    choices: tuple[Choice, ...]
    risk_rules: tuple[RiskRule, ...]
    helpful_resource: Resource | None = None
    #: Question-level guidance. Only the opsx format can hold it; AWS export refuses a lens that uses it.
    improvement_plan: Resource | None = None

    def choice_ids(self) -> list[str]:
        return [c.id for c in self.choices]

    @property
    def has_default_rule(self) -> bool:
        return any(r.is_default for r in self.risk_rules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "helpful_resource": _opt(self.helpful_resource),
            "improvement_plan": _opt(self.improvement_plan),
            "choices": [c.to_dict() for c in self.choices],
            "risk_rules": [r.to_dict() for r in self.risk_rules],
        }


@dataclass(frozen=True)
class Pillar:
    id: str
    name: str
    questions: tuple[Question, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "questions": [q.to_dict() for q in self.questions]}


@dataclass(frozen=True)
class Lens:
    name: str
    description: str
    pillars: tuple[Pillar, ...]
    version_label: str | None = None
    schema_version: str = SCHEMA_VERSION

    def questions(self) -> list[Question]:
        return [q for p in self.pillars for q in p.questions]

    def question(self, question_id: str) -> Question:
        for q in self.questions():
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def to_dict(self) -> dict[str, Any]:
        """Canonical, format-neutral dict: equal lenses give equal dicts whatever file they came from."""
        return {
            "schema_version": self.schema_version,
            "name": self.name,
            "description": self.description,
            "version_label": self.version_label,
            "pillars": [p.to_dict() for p in self.pillars],
        }

    def fingerprint(self) -> str:
        """sha256 (hex) of the canonical JSON of :meth:`to_dict`; changes whenever any content changes."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _opt(resource: Resource | None) -> dict[str, Any] | None:
    return resource.to_dict() if resource is not None else None


def _canonical_condition(condition: str) -> str:
    # Whitespace and redundant parentheses do not change what a rule means, so they must not change
    # the fingerprint either.
    from reviews.lensfile.conditions import ConditionSyntaxError, canonical

    try:
        return canonical(condition)
    except ConditionSyntaxError:
        return condition.strip()
