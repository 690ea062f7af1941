"""Checks shared by both file formats, run on the in-memory lens.

Paths in the issues use the key spelling of the format being read, given by a :class:`KeyNames`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from reviews.lensfile import model as m
from reviews.lensfile.conditions import ConditionSyntaxError, Default, parse_condition, referenced_ids
from reviews.lensfile.errors import LensIssue, index_path, join_path

ID_RE = re.compile(rf"^[A-Za-z0-9_]{{{m.MIN_ID},{m.MAX_ID}}}$")
URL_RE = re.compile(r"^https?://\S+$")

MSG_REQUIRED = "required field is missing"
MSG_BAD_ID = f"must be {m.MIN_ID}-{m.MAX_ID} characters, only letters, digits and underscores"
MSG_BAD_URL = "must start with http:// or https:// and contain no spaces"
MSG_EMPTY = "must not be empty"


def too_long(limit: int, got: int) -> str:
    return f"must be at most {limit} characters (got {got})"


def too_many(limit: int, got: int) -> str:
    return f"at most {limit} allowed (got {got})"


def not_one_of(allowed: list[str], got: object) -> str:
    return f"must be one of {', '.join(allowed)} (got {got!r})"


@dataclass(frozen=True)
class KeyNames:
    """How one file format spells the keys that appear in issue paths."""

    schema_version: str
    version_label: str
    risk_rules: str
    helpful_resource: str
    improvement_plan: str
    additional_resources: str
    display_text: str


AWS_KEYS = KeyNames(
    schema_version="schemaVersion",
    version_label="_version",
    risk_rules="riskRules",
    helpful_resource="helpfulResource",
    improvement_plan="improvementPlan",
    additional_resources="additionalResources",
    display_text="displayText",
)
YAML_KEYS = KeyNames(
    schema_version="format",
    version_label="version",
    risk_rules="risk_rules",
    helpful_resource="helpful_resource",
    improvement_plan="improvement_plan",
    additional_resources="additional_resources",
    display_text="text",
)


class _Checker:
    def __init__(self, keys: KeyNames) -> None:
        self.k = keys
        self.errors: list[LensIssue] = []
        self.warnings: list[LensIssue] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(LensIssue(path, message))

    def text(self, path: str, value: str, limit: int, *, required: bool) -> None:
        if required and not value.strip():
            self.err(path, MSG_EMPTY)
        elif len(value) > limit:
            self.err(path, too_long(limit, len(value)))

    def ident(self, path: str, value: str) -> None:
        if not ID_RE.match(value):
            self.err(path, MSG_BAD_ID)

    def count(self, path: str, n: int, limit: int) -> None:
        if n == 0:
            self.err(path, "at least one is required")
        elif n > limit:
            self.err(path, too_many(limit, n))

    def resource(self, path: str, res: m.Resource | None) -> None:
        if res is None:
            return
        self.text(join_path(path, self.k.display_text), res.display_text, m.MAX_TEXT, required=True)
        if res.url is not None and not URL_RE.match(res.url):
            self.err(join_path(path, "url"), MSG_BAD_URL)

    def lens(self, lens: m.Lens) -> None:
        if lens.schema_version != m.SCHEMA_VERSION:
            self.err(self.k.schema_version, f"must be {m.SCHEMA_VERSION!r} (got {lens.schema_version!r})")
        self.text("name", lens.name, m.MAX_NAME, required=True)
        self.text("description", lens.description, m.MAX_TEXT, required=False)
        if lens.version_label is not None:
            self.text(self.k.version_label, lens.version_label, m.MAX_VERSION_LABEL, required=True)
        self.count("pillars", len(lens.pillars), m.MAX_PILLARS)
        pillar_ids: dict[str, str] = {}
        question_ids: dict[str, str] = {}
        for i, pillar in enumerate(lens.pillars):
            path = index_path("pillars", i)
            self.unique(join_path(path, "id"), pillar.id, pillar_ids, "pillar id")
            self.text(join_path(path, "name"), pillar.name, m.MAX_NAME, required=True)
            qpath = join_path(path, "questions")
            self.count(qpath, len(pillar.questions), m.MAX_QUESTIONS_PER_PILLAR)
            for j, question in enumerate(pillar.questions):
                self.question(index_path(qpath, j), question, question_ids)

    def unique(self, path: str, value: str, seen: dict[str, str], what: str) -> None:
        self.ident(path, value)
        if value in seen:
            self.err(path, f"duplicate {what} {value!r} (first used at {seen[value]})")
        else:
            seen[value] = path

    def question(self, path: str, q: m.Question, question_ids: dict[str, str]) -> None:
        self.unique(join_path(path, "id"), q.id, question_ids, "question id")
        self.text(join_path(path, "title"), q.title, m.MAX_TITLE, required=True)
        self.text(join_path(path, "description"), q.description, m.MAX_TEXT, required=False)
        self.resource(join_path(path, self.k.helpful_resource), q.helpful_resource)
        self.resource(join_path(path, self.k.improvement_plan), q.improvement_plan)
        cpath = join_path(path, "choices")
        self.count(cpath, len(q.choices), m.MAX_CHOICES_PER_QUESTION)
        choice_ids: dict[str, str] = {}
        none_choices: list[str] = []
        for i, choice in enumerate(q.choices):
            p = index_path(cpath, i)
            self.unique(join_path(p, "id"), choice.id, choice_ids, "choice id")
            self.choice(p, choice)
            if choice.is_none_of_these:
                none_choices.append(choice.id)
        if len(none_choices) > 1:
            self.err(cpath, f"only one 'None of these' choice is allowed (got {', '.join(none_choices)})")
        self.rules(join_path(path, self.k.risk_rules), q, set(choice_ids))

    def choice(self, path: str, c: m.Choice) -> None:
        self.text(join_path(path, "title"), c.title, m.MAX_TITLE, required=True)
        self.text(join_path(path, "description"), c.description, m.MAX_TEXT, required=False)
        if c.id.endswith(m.NONE_OF_THESE_SUFFIX) and not c.is_none_of_these:
            # The other way round (a "None of these" choice with another id) is allowed: the AWS
            # reader recognises one by its title, with a warning, and opsx YAML says so explicitly.
            self.err(
                join_path(path, "id"),
                f"an id ending in {m.NONE_OF_THESE_SUFFIX!r} marks the question's 'None of these' choice",
            )
        self.resource(join_path(path, self.k.helpful_resource), c.helpful_resource)
        if c.improvement_plan is None and not c.is_none_of_these:
            self.err(join_path(path, self.k.improvement_plan), MSG_REQUIRED)
        self.resource(join_path(path, self.k.improvement_plan), c.improvement_plan)
        apath = join_path(path, self.k.additional_resources)
        per_type: Counter[m.ResourceType] = Counter()
        for i, group in enumerate(c.additional_resources):
            gpath = index_path(apath, i)
            per_type[group.type] += len(group.content)
            for j, res in enumerate(group.content):
                self.resource(index_path(join_path(gpath, "content"), j), res)
        for rtype, n in per_type.items():
            if n > m.MAX_ADDITIONAL_PER_TYPE:
                self.err(apath, f"at most {m.MAX_ADDITIONAL_PER_TYPE} {rtype} items allowed (got {n})")

    def rules(self, path: str, q: m.Question, choice_ids: set[str]) -> None:
        if not q.risk_rules:
            self.err(path, "at least one rule is required")
            return
        if len(q.risk_rules) > m.MAX_RISK_RULES:
            self.err(path, too_many(m.MAX_RISK_RULES, len(q.risk_rules)))
        seen_risk: dict[m.Risk, str] = {}
        default_at: str | None = None
        for i, rule in enumerate(q.risk_rules):
            rpath = index_path(path, i)
            cond_path = join_path(rpath, "condition")
            if default_at is not None:
                self.warnings.append(LensIssue(rpath, f"unreachable: comes after the default rule at {default_at}"))
            if rule.risk in seen_risk:
                self.err(
                    join_path(rpath, "risk"),
                    f"risk {rule.risk} already used by {seen_risk[rule.risk]}; one rule per risk level",
                )
            else:
                seen_risk[rule.risk] = rpath
            try:
                tree = parse_condition(rule.condition)
            except ConditionSyntaxError as exc:
                self.err(cond_path, f"invalid condition: {exc}")
                continue
            if isinstance(tree, Default):
                if default_at is not None:
                    self.err(cond_path, f"second default rule (first at {default_at})")
                else:
                    default_at = rpath
                continue
            for cid in referenced_ids(tree):
                if cid not in choice_ids:
                    self.err(cond_path, f"unknown choice id {cid!r}")
        if default_at is None:
            # The AWS tool accepts such a question; an answer that matches none of its rules then
            # has no risk identified (model.NO_MATCH_RISK).
            self.warnings.append(
                LensIssue(path, "no 'default' rule", f"an answer that matches none of the rules gets {m.NO_MATCH_RISK}")
            )


def validate(lens: m.Lens, keys: KeyNames) -> tuple[list[LensIssue], list[LensIssue]]:
    """Return ``(errors, warnings)`` for a lens, with paths spelled as ``keys`` says."""
    checker = _Checker(keys)
    checker.lens(lens)
    return checker.errors, checker.warnings
