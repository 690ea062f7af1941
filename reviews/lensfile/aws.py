"""Read and write the AWS Well-Architected Tool custom lens JSON format (schema 2021-11-01).

What is accepted follows the AWS "Lens format specification"; see docs/lens-format.md for the
decisions this module makes where real files stray from it:

* Strict JSON (RFC 8259), with two repairs: a UTF-8 byte order mark is skipped, and a bare ``NaN``
  or ``Infinity`` token where text belongs is read as that text. Trailing commas, comments,
  duplicate keys and non-UTF-8 bytes are refused.
* Unknown keys are ignored with a warning (published lenses carry notes such as ``_note``). A key
  that differs from a known key only in capitalisation (``Url``) is read as that key, with a warning;
  if both spellings are present the file is refused.
* ``_version`` at the top level, a convention of published lenses, is read as the version label.
* Lenses published for the AWS tool stray from the specification in ways the tool accepts; each is
  repaired with a warning that names the field and what was done: spaces around or inside a URL, a
  link without text, an empty resource, a question without a ``default`` rule (see
  :data:`~reviews.lensfile.model.NO_MATCH_RISK`), and a "None of these" choice whose id does not end
  in ``_no`` (recognised by its title). ``description`` on a choice is read and written back.

Every warning is a :class:`LensIssue` with a ``repair``; ``load_with_warnings(strict=True)`` turns
them into errors, so a strict import takes only files that need no repair.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from reviews.lensfile import model as m
from reviews.lensfile.errors import LensFormatError, LensIssue, index_path, join_path
from reviews.lensfile.validate import AWS_KEYS, MSG_REQUIRED, not_one_of, validate

MAX_FILE_BYTES = m.MAX_FILE_BYTES
VERSION_KEY = "_version"

LENS_KEYS = ("schemaVersion", "name", "description", "pillars", VERSION_KEY)
PILLAR_KEYS = ("id", "name", "questions")
QUESTION_KEYS = ("id", "title", "description", "helpfulResource", "choices", "riskRules")
CHOICE_KEYS = ("id", "title", "description", "helpfulResource", "improvementPlan", "additionalResources")
RESOURCE_KEYS = ("displayText", "url")
ADDITIONAL_KEYS = ("type", "content")
RULE_KEYS = ("condition", "risk")

_TYPE_NAMES = {str: "a string", list: "an array", dict: "an object"}


class _BareToken(str):
    """A ``NaN``/``Infinity``/``-Infinity`` token (not JSON); the reader reads it as text, with a warning."""

    __slots__ = ()


def decode_json(data: str | bytes) -> tuple[Any, list[LensIssue]]:
    """Strictly decode JSON text; returns ``(value, warnings)`` or raises :class:`LensFormatError`."""
    warnings: list[LensIssue] = []
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_FILE_BYTES:
        raise LensFormatError([m.too_large_issue(len(raw))])
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        warnings.append(LensIssue("", "UTF-8 byte order mark", "skipped"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LensFormatError([LensIssue("", f"file is not valid UTF-8 (byte {exc.start})")], warnings) from None
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                duplicates.append(key)
            out[key] = value
        return out

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=_BareToken)
    except json.JSONDecodeError as exc:
        raise LensFormatError([LensIssue("", _describe(exc))], warnings) from None
    if duplicates:
        raise LensFormatError(
            [LensIssue("", f"invalid JSON: key {k!r} repeated in one object") for k in duplicates], warnings
        )
    return value, warnings


def _describe(exc: json.JSONDecodeError) -> str:
    text, pos = exc.doc, exc.pos
    reason = exc.msg
    before = text[:pos].rstrip()
    if before.endswith(",") and text[pos : pos + 1] in ("}", "]"):
        reason = "trailing comma is not allowed"
    elif text[pos : pos + 2] in ("//", "/*"):
        reason = "comments are not allowed"
    return f"line {exc.lineno}, column {exc.colno}: invalid JSON: {reason}"


class _Reader:
    def __init__(self) -> None:
        self.errors: list[LensIssue] = []
        self.warnings: list[LensIssue] = []
        #: (object path, known key) -> the key as spelt in the file, where the two differ ("Url").
        self.spelt: dict[tuple[str, str], str] = {}

    def err(self, path: str, message: str) -> None:
        self.errors.append(LensIssue(path, message))

    def warn(self, path: str, message: str, repair: str) -> None:
        self.warnings.append(LensIssue(path, message, repair))

    def fields(self, value: Any, path: str, known: Sequence[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.err(path, "must be an object")
            return None
        by_lower = {k.lower(): k for k in known}
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in known else by_lower.get(key.lower())
            if name is None:
                self.warn(join_path(path, key), "unknown key", "ignored")
                continue
            if name != key:
                self.warn(join_path(path, key), "wrong capitalisation", f"read as {name!r} (keys are case-sensitive)")
                self.spelt[(path, name)] = key
            if name in out:
                self.err(join_path(path, key), f"key {name!r} given twice with different capitalisation")
                continue
            out[name] = item
        return out

    def get(self, d: dict[str, Any], key: str, path: str, kind: type, *, required: bool = True) -> Any:
        p = join_path(path, self.spelt.get((path, key), key))
        if key not in d:
            if required:
                self.err(p, MSG_REQUIRED)
            return None
        value = d[key]
        if not isinstance(value, kind):
            self.err(p, f"must be {_TYPE_NAMES[kind]}")
            return None
        return self.bare(value, p)

    def bare(self, value: Any, path: str) -> Any:
        """A bare NaN/Infinity token as the text it spells (with a warning); anything else unchanged."""
        if isinstance(value, _BareToken):
            self.warn(path, f"bare {value} token (not JSON)", f"read as the text {str(value)!r}")
            return str(value)
        return value

    def url(self, value: str | None, path: str) -> str | None:
        if value is None:
            return None
        url = value.strip()
        if url != value:
            self.warn(path, "spaces around the URL", "removed")
        if not url:
            self.warn(path, "empty URL", "ignored")
            return None
        if " " in url:
            self.warn(path, "spaces inside the URL", "written as %20")
            url = url.replace(" ", "%20")
        return url

    def resource(self, value: Any, path: str) -> m.Resource | None:
        d = self.fields(value, path, RESOURCE_KEYS)
        if d is None:
            return None
        errors_before = len(self.errors)
        text = self.get(d, "displayText", path, str, required=False)
        url = self.url(
            self.get(d, "url", path, str, required=False), join_path(path, self.spelt.get((path, "url"), "url"))
        )
        if not text:
            if url is None:
                if len(self.errors) == errors_before:
                    self.warn(path, "resource without text or URL", "ignored")
                return None
            self.warn(join_path(path, "displayText"), "missing", "the URL is shown instead")
            text = url
        return m.Resource(display_text=text, url=url)

    def lens(self, doc: Any) -> m.Lens:
        d = self.fields(doc, "", LENS_KEYS)
        if d is None:
            return m.Lens(name="", description="", pillars=())
        schema = self.get(d, "schemaVersion", "", str)
        version = self.bare(d.get(VERSION_KEY), VERSION_KEY)
        if version is not None and not isinstance(version, str):
            self.warn(VERSION_KEY, "not a string", "ignored")
            version = None
        pillars = self.get(d, "pillars", "", list) or []
        return m.Lens(
            name=self.get(d, "name", "", str) or "",
            description=self.get(d, "description", "", str) or "",
            version_label=version,
            schema_version=schema or m.SCHEMA_VERSION,  # validate() refuses any other version
            pillars=tuple(self.pillar(p, index_path("pillars", i)) for i, p in enumerate(pillars)),
        )

    def pillar(self, value: Any, path: str) -> m.Pillar:
        d = self.fields(value, path, PILLAR_KEYS)
        if d is None:
            return m.Pillar(id="", name="", questions=())
        pid = self.get(d, "id", path, str) or ""
        name = self.get(d, "name", path, str) or ""
        questions = self.get(d, "questions", path, list)
        qpath = join_path(path, "questions")
        return m.Pillar(
            id=pid,
            name=name,
            questions=tuple(self.question(q, index_path(qpath, i)) for i, q in enumerate(questions or [])),
        )

    def question(self, value: Any, path: str) -> m.Question:
        d = self.fields(value, path, QUESTION_KEYS)
        if d is None:
            return m.Question(id="", title="", description="", choices=(), risk_rules=())
        qid = self.get(d, "id", path, str) or ""
        title = self.get(d, "title", path, str) or ""
        description = self.get(d, "description", path, str) or ""
        helpful = d.get("helpfulResource")
        helpful_resource = None if helpful is None else self.resource(helpful, join_path(path, "helpfulResource"))
        choices = self.get(d, "choices", path, list) or []
        rules = self.get(d, "riskRules", path, list) or []
        cpath, rpath = join_path(path, "choices"), join_path(path, "riskRules")
        return m.Question(
            id=qid,
            title=title,
            description=description,
            helpful_resource=helpful_resource,
            choices=self.none_of_these(
                tuple(self.choice(c, index_path(cpath, i)) for i, c in enumerate(choices)), cpath
            ),
            risk_rules=tuple(self.rule(r, index_path(rpath, i)) for i, r in enumerate(rules)),
        )

    def none_of_these(self, choices: tuple[m.Choice, ...], path: str) -> tuple[m.Choice, ...]:
        """Recognise a "None of these" choice by its title when no choice id ends in ``_no``."""
        if any(c.is_none_of_these for c in choices):
            return choices
        titled = [i for i, c in enumerate(choices) if m.titled_none_of_these(c.title)]
        if len(titled) != 1:
            return choices
        i = titled[0]
        self.warn(
            join_path(index_path(path, i), "id"),
            f"{choices[i].id!r} does not end in {m.NONE_OF_THESE_SUFFIX!r}",
            "read as the question's 'None of these' choice, as its title says",
        )
        return (*choices[:i], replace(choices[i], is_none_of_these=True), *choices[i + 1 :])

    def choice(self, value: Any, path: str) -> m.Choice:
        d = self.fields(value, path, CHOICE_KEYS)
        if d is None:
            return m.Choice(id="", title="")
        cid = self.get(d, "id", path, str) or ""
        helpful, plan = d.get("helpfulResource"), d.get("improvementPlan")
        extra = self.get(d, "additionalResources", path, list, required=False) or []
        apath = join_path(path, "additionalResources")
        return m.Choice(
            id=cid,
            title=self.get(d, "title", path, str) or "",
            description=self.get(d, "description", path, str, required=False) or "",
            helpful_resource=None if helpful is None else self.resource(helpful, join_path(path, "helpfulResource")),
            improvement_plan=None if plan is None else self.resource(plan, join_path(path, "improvementPlan")),
            additional_resources=tuple(self.additional(a, index_path(apath, i)) for i, a in enumerate(extra)),
            is_none_of_these=cid.endswith(m.NONE_OF_THESE_SUFFIX),
        )

    def additional(self, value: Any, path: str) -> m.AdditionalResource:
        d = self.fields(value, path, ADDITIONAL_KEYS)
        if d is None:
            return m.AdditionalResource(type=m.ResourceType.HELPFUL_RESOURCE)
        rtype = self.get(d, "type", path, str)
        allowed = [t.value for t in m.ResourceType]
        if rtype is not None and rtype not in allowed:
            self.err(join_path(path, "type"), not_one_of(allowed, rtype))
            rtype = None
        items = self.get(d, "content", path, list, required=False) or []
        content: list[m.Resource] = []
        for i, item in enumerate(items):
            res = self.resource(item, index_path(join_path(path, "content"), i))
            if res is not None:
                content.append(res)
        return m.AdditionalResource(
            type=m.ResourceType(rtype or m.ResourceType.HELPFUL_RESOURCE), content=tuple(content)
        )

    def rule(self, value: Any, path: str) -> m.RiskRule:
        d = self.fields(value, path, RULE_KEYS)
        if d is None:
            return m.RiskRule(condition="", risk=m.Risk.HIGH_RISK)
        condition = self.get(d, "condition", path, str)
        risk = self.get(d, "risk", path, str)
        allowed = [r.value for r in m.Risk]
        if risk is not None and risk not in allowed:
            self.err(join_path(path, "risk"), not_one_of(allowed, risk))
            risk = None
        return m.RiskRule(condition=condition or "", risk=m.Risk(risk or m.Risk.HIGH_RISK))


def parse_aws(data: str | bytes) -> tuple[m.Lens, list[LensIssue]]:
    """Parse an AWS custom lens file. Returns ``(lens, warnings)``; raises :class:`LensFormatError`."""
    doc, warnings = decode_json(data)
    if not isinstance(doc, dict):
        raise LensFormatError([LensIssue("", "the document must be a JSON object")], warnings)
    reader = _Reader()
    lens = reader.lens(doc)
    warnings += reader.warnings
    if reader.errors:
        raise LensFormatError(reader.errors, warnings)
    errors, more = validate(lens, AWS_KEYS)
    if errors:
        raise LensFormatError(errors, warnings + more)
    return lens, warnings + more


def _resource(res: m.Resource) -> dict[str, Any]:
    out: dict[str, Any] = {"displayText": res.display_text}
    if res.url is not None:
        out["url"] = res.url
    return out


def to_aws_dict(lens: m.Lens) -> dict[str, Any]:
    """The lens as an AWS custom lens document. Raises :class:`LensFormatError` if it cannot be one."""
    errors, _ = validate(lens, AWS_KEYS)
    for i, pillar in enumerate(lens.pillars):
        for j, q in enumerate(pillar.questions):
            if q.improvement_plan is not None:
                path = f"pillars[{i}].questions[{j}].improvementPlan"
                errors.append(LensIssue(path, "the AWS format has no question-level improvement plan"))
            for k, c in enumerate(q.choices):
                if (
                    c.is_none_of_these
                    and not c.id.endswith(m.NONE_OF_THESE_SUFFIX)
                    and not m.titled_none_of_these(c.title)
                ):
                    # The AWS format marks the choice by its id alone (or, read by opsx, by its title).
                    path = f"pillars[{i}].questions[{j}].choices[{k}].id"
                    errors.append(
                        LensIssue(path, f"a 'None of these' choice needs an id ending in {m.NONE_OF_THESE_SUFFIX!r}")
                    )
    if errors:
        raise LensFormatError(errors)
    doc: dict[str, Any] = {"schemaVersion": lens.schema_version, "name": lens.name, "description": lens.description}
    if lens.version_label is not None:
        doc[VERSION_KEY] = lens.version_label
    doc["pillars"] = [
        {"id": p.id, "name": p.name, "questions": [_question(q) for q in p.questions]} for p in lens.pillars
    ]
    return doc


def _question(q: m.Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "title": q.title, "description": q.description}
    if q.helpful_resource is not None:
        out["helpfulResource"] = _resource(q.helpful_resource)
    out["choices"] = [_choice(c) for c in q.choices]
    out["riskRules"] = [{"condition": r.condition, "risk": str(r.risk)} for r in q.risk_rules]
    return out


def _choice(c: m.Choice) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.id, "title": c.title}
    if c.description:
        out["description"] = c.description
    if c.helpful_resource is not None:
        out["helpfulResource"] = _resource(c.helpful_resource)
    if c.improvement_plan is not None:
        out["improvementPlan"] = _resource(c.improvement_plan)
    if c.additional_resources:
        out["additionalResources"] = [
            {"type": str(a.type), "content": [_resource(r) for r in a.content]} for a in c.additional_resources
        ]
    return out


def dump_aws(lens: m.Lens) -> str:
    """Serialise a lens as AWS custom lens JSON (UTF-8 text, 4-space indent, trailing newline)."""
    return json.dumps(to_aws_dict(lens), indent=4, ensure_ascii=False) + "\n"
