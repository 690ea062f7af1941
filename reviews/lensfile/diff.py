"""What changed between two versions of a lens, computed over their canonical documents.

Input is two documents as :meth:`Lens.to_dict` makes them (what ``LensVersion.document`` stores), so
comparing stored versions needs no parsing. Pure: no Django, no database.

How things are matched, and why:

* **Questions** by id across the whole lens (ids are unique in a lens), so a question moved to
  another pillar is one changed question (field ``pillar``), not a removal and an addition. Review
  answers are keyed the same way, which is what lets the upgrade preview use this diff.
* **Choices** by id within their question (answers store choice ids).
* **Risk rules** by risk level: a question has at most one rule per level, and the level is what a
  rule decides. A changed condition is a changed rule; since the first matching rule wins, a new
  order of the same levels is reported as the question's ``rule_order``.

Every before/after value is text, ready to show: a resource is ``"text <url>"``, additional
resources one such line each (prefixed by their type), flags ``"yes"``/``"no"``, orders a
comma-separated list. An absent optional value is ``""``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: How each field is called on the page.
FIELD_LABELS = {
    "name": "Name",
    "description": "Description",
    "version_label": "Version label",
    "title": "Title",
    "pillar": "Pillar",
    "helpful_resource": "Helpful resource",
    "improvement_plan": "Improvement plan",
    "additional_resources": "Additional resources",
    "none_of_these": "“None of these” choice",
    "choice_order": "Order of choices",
    "rule_order": "Order of risk rules",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)


@dataclass(frozen=True)
class ChoiceRef:
    id: str
    title: str


@dataclass(frozen=True)
class ChoiceChange:
    id: str
    title: str  # the new title
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class RuleRef:
    risk: str
    condition: str


@dataclass(frozen=True)
class RuleChange:
    risk: str
    before: str  # condition
    after: str


@dataclass(frozen=True)
class QuestionRef:
    id: str
    title: str
    pillar_id: str
    pillar_name: str


@dataclass(frozen=True)
class QuestionChange:
    id: str
    title: str  # the new title
    pillar_id: str
    pillar_name: str
    changes: tuple[FieldChange, ...] = ()
    choices_added: tuple[ChoiceRef, ...] = ()
    choices_removed: tuple[ChoiceRef, ...] = ()
    choices_changed: tuple[ChoiceChange, ...] = ()
    rules_added: tuple[RuleRef, ...] = ()
    rules_removed: tuple[RuleRef, ...] = ()
    rules_changed: tuple[RuleChange, ...] = ()


@dataclass(frozen=True)
class PillarChange:
    id: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class PillarRef:
    id: str
    name: str


@dataclass(frozen=True)
class LensDiff:
    changes: tuple[FieldChange, ...] = ()
    pillars_added: tuple[PillarRef, ...] = ()
    pillars_removed: tuple[PillarRef, ...] = ()
    pillars_changed: tuple[PillarChange, ...] = ()
    questions_added: tuple[QuestionRef, ...] = ()
    questions_removed: tuple[QuestionRef, ...] = ()
    questions_changed: tuple[QuestionChange, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not any(self.counts.values()) and not self.changes and not self.pillars_changed

    def changed_question(self, question_id: str) -> QuestionChange | None:
        return next((q for q in self.questions_changed if q.id == question_id), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _resource(res: dict[str, Any] | None) -> str:
    if not res:
        return ""
    return f"{res['display_text']} <{res['url']}>" if res.get("url") else res["display_text"]


def _additional(groups: list[dict[str, Any]]) -> str:
    return "\n".join(f"{g['type']}: {_resource(item)}" for g in groups for item in g["content"])


def _changes(before: dict[str, str], after: dict[str, str]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(k, before[k], after[k]) for k in before if before[k] != after[k])


def _order(before: list[str], after: list[str]) -> tuple[str, str] | None:
    """The common items' order before and after, if it changed."""
    common = set(before) & set(after)
    b, a = [x for x in before if x in common], [x for x in after if x in common]
    return (", ".join(b), ", ".join(a)) if b != a else None


def _choice_fields(c: dict[str, Any]) -> dict[str, str]:
    return {
        "title": c["title"],
        "description": c.get("description", ""),
        "helpful_resource": _resource(c.get("helpful_resource")),
        "improvement_plan": _resource(c.get("improvement_plan")),
        "additional_resources": _additional(c.get("additional_resources", [])),
        "none_of_these": "yes" if c.get("is_none_of_these") else "no",
    }


def _question(
    before: dict[str, Any], after: dict[str, Any], pillar_before: dict[str, Any], pillar_after: dict[str, Any]
) -> QuestionChange | None:
    def fields(q: dict[str, Any]) -> dict[str, str]:
        return {
            "title": q["title"],
            "description": q["description"],
            "helpful_resource": _resource(q.get("helpful_resource")),
            "improvement_plan": _resource(q.get("improvement_plan")),
        }

    changes = list(_changes(fields(before), fields(after)))
    if pillar_before["id"] != pillar_after["id"]:
        # Moved to another pillar (a pillar renamed in place is a change of the pillar, not of its questions).
        changes.insert(0, FieldChange("pillar", pillar_before["name"], pillar_after["name"]))

    old_choices = {c["id"]: c for c in before["choices"]}
    new_choices = {c["id"]: c for c in after["choices"]}
    added = tuple(ChoiceRef(c["id"], c["title"]) for c in after["choices"] if c["id"] not in old_choices)
    removed = tuple(ChoiceRef(c["id"], c["title"]) for c in before["choices"] if c["id"] not in new_choices)
    changed = []
    for c in after["choices"]:
        if c["id"] in old_choices:
            diff = _changes(_choice_fields(old_choices[c["id"]]), _choice_fields(c))
            if diff:
                changed.append(ChoiceChange(c["id"], c["title"], diff))
    order = _order([c["id"] for c in before["choices"]], [c["id"] for c in after["choices"]])
    if order:
        changes.append(FieldChange("choice_order", *order))

    old_rules = {r["risk"]: r["condition"] for r in before["risk_rules"]}
    new_rules = {r["risk"]: r["condition"] for r in after["risk_rules"]}
    rules_added = tuple(RuleRef(r, c) for r, c in new_rules.items() if r not in old_rules)
    rules_removed = tuple(RuleRef(r, c) for r, c in old_rules.items() if r not in new_rules)
    rules_changed = tuple(
        RuleChange(r, old_rules[r], c) for r, c in new_rules.items() if r in old_rules and old_rules[r] != c
    )
    order = _order(list(old_rules), list(new_rules))
    if order:
        changes.append(FieldChange("rule_order", *order))

    result = QuestionChange(
        id=after["id"],
        title=after["title"],
        pillar_id=pillar_after["id"],
        pillar_name=pillar_after["name"],
        changes=tuple(changes),
        choices_added=added,
        choices_removed=removed,
        choices_changed=tuple(changed),
        rules_added=rules_added,
        rules_removed=rules_removed,
        rules_changed=rules_changed,
    )
    if result == QuestionChange(result.id, result.title, result.pillar_id, result.pillar_name):
        return None
    return result


def _questions(doc: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """{question id: (question, its pillar)} in document order."""
    return {q["id"]: (q, p) for p in doc["pillars"] for q in p["questions"]}


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> LensDiff:
    """What changed from the canonical lens document ``before`` to ``after`` (both ``Lens.to_dict()``)."""
    top = ("name", "description", "version_label")
    changes = _changes({k: before.get(k) or "" for k in top}, {k: after.get(k) or "" for k in top})

    old_pillars = {p["id"]: p for p in before["pillars"]}
    new_pillars = {p["id"]: p for p in after["pillars"]}
    pillars_added = tuple(PillarRef(p["id"], p["name"]) for p in after["pillars"] if p["id"] not in old_pillars)
    pillars_removed = tuple(PillarRef(p["id"], p["name"]) for p in before["pillars"] if p["id"] not in new_pillars)
    pillars_changed = []
    for p in after["pillars"]:
        if p["id"] in old_pillars:
            renamed = _changes({"name": old_pillars[p["id"]]["name"]}, {"name": p["name"]})
            if renamed:
                pillars_changed.append(PillarChange(p["id"], renamed))

    old_questions, new_questions = _questions(before), _questions(after)
    added = tuple(
        QuestionRef(q["id"], q["title"], p["id"], p["name"])
        for q, p in new_questions.values()
        if q["id"] not in old_questions
    )
    removed = tuple(
        QuestionRef(q["id"], q["title"], p["id"], p["name"])
        for q, p in old_questions.values()
        if q["id"] not in new_questions
    )
    changed = []
    for qid, (q, p) in new_questions.items():
        if qid in old_questions:
            old_q, old_p = old_questions[qid]
            change = _question(old_q, q, old_p, p)
            if change is not None:
                changed.append(change)

    counts = {
        "questions_added": len(added),
        "questions_removed": len(removed),
        "questions_changed": len(changed),
        "choices_added": sum(len(c.choices_added) for c in changed),
        "choices_removed": sum(len(c.choices_removed) for c in changed),
        "choices_changed": sum(len(c.choices_changed) for c in changed),
        "rules_added": sum(len(c.rules_added) for c in changed),
        "rules_removed": sum(len(c.rules_removed) for c in changed),
        "rules_changed": sum(len(c.rules_changed) for c in changed),
    }
    return LensDiff(
        changes=changes,
        pillars_added=pillars_added,
        pillars_removed=pillars_removed,
        pillars_changed=tuple(pillars_changed),
        questions_added=added,
        questions_removed=removed,
        questions_changed=tuple(changed),
        counts=counts,
    )
