"""Read and write opsx's own lens format: YAML with snake_case keys and a ``format: opsx-lens/v1`` header.

Structure is checked against ``opsx-lens.schema.json`` (JSON Schema 2020-12, via ``jsonschema``);
unique ids, the "None of these" choice and risk rule conditions are checked by
:mod:`reviews.lensfile.validate`. YAML is read with PyYAML's safe loader, extended only to refuse
repeated keys (plain ``safe_load`` would silently keep the last one) and anchors and aliases
(``opsx.yamlsafe``: a few hundred bytes of nested aliases expand to gigabytes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from opsx.yamlsafe import NoAliasSafeLoader
from reviews.lensfile import model as m
from reviews.lensfile.errors import LensFormatError, LensIssue, index_path, join_path
from reviews.lensfile.validate import (
    MSG_BAD_ID,
    MSG_BAD_URL,
    MSG_EMPTY,
    MSG_REQUIRED,
    YAML_KEYS,
    not_one_of,
    too_long,
    too_many,
    validate,
)

FORMAT = "opsx-lens/v1"
SCHEMA_PATH = Path(__file__).with_name("opsx-lens.schema.json")
_TYPE_NAMES = {"string": "a string", "object": "a mapping", "array": "a list", "boolean": "true or false"}


@cache
def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


class _StrictSafeLoader(NoAliasSafeLoader):
    """``yaml.SafeLoader`` that refuses anchors, aliases and a key repeated within one mapping."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            repeated = key in seen
            seen.add(key)
        except TypeError:
            continue  # unhashable key: construct_mapping below reports it
        if repeated:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} repeated in one mapping", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=True)


_StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _decode(data: str | bytes) -> Any:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LensFormatError([LensIssue("", f"file is not valid UTF-8 (byte {exc.start})")]) from None
    try:
        # Safe: _StrictSafeLoader is yaml.SafeLoader without aliases, plus a repeated-key check.
        return yaml.load(data, Loader=_StrictSafeLoader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise LensFormatError([LensIssue("", f"{where}invalid YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise LensFormatError([LensIssue("", f"invalid YAML: {exc}")]) from None


def _path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out = index_path(out, part) if isinstance(part, int) else join_path(out, part)
    return out


def _issues(error: ValidationError) -> list[LensIssue]:
    path = _path(error.absolute_path)
    kind, value, inst = error.validator, error.validator_value, error.instance
    if kind == "required":
        return [LensIssue(join_path(path, k), MSG_REQUIRED) for k in value if k not in inst]
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        return [LensIssue(join_path(path, str(k)), "unknown key") for k in inst if k not in known]
    if kind == "type":
        what = _TYPE_NAMES.get(value, value)
        return [LensIssue(path, f"must be {what}" if path else f"the document must be {what}")]
    messages = {
        "maxLength": lambda: too_long(value, len(inst)),
        "minLength": lambda: MSG_EMPTY,
        "pattern": lambda: MSG_BAD_URL if "http" in value else MSG_BAD_ID,
        "maxItems": lambda: too_many(value, len(inst)),
        "minItems": lambda: "at least one is required",
        "enum": lambda: not_one_of(value, inst),
        "const": lambda: f"must be {value!r} (got {inst!r})",
    }
    message = messages[kind]() if kind in messages else error.message
    return [LensIssue(path, message)]


def _resource(d: dict[str, Any] | None) -> m.Resource | None:
    return None if d is None else m.Resource(display_text=d["text"], url=d.get("url"))


def _build(doc: dict[str, Any]) -> m.Lens:
    pillars = []
    for p in doc["pillars"]:
        questions = []
        for q in p["questions"]:
            choices = tuple(
                m.Choice(
                    id=c["id"],
                    title=c["title"],
                    helpful_resource=_resource(c.get("helpful_resource")),
                    improvement_plan=_resource(c.get("improvement_plan")),
                    additional_resources=tuple(
                        m.AdditionalResource(
                            type=m.ResourceType(a["type"]),
                            content=tuple(m.Resource(r["text"], r.get("url")) for r in a["content"]),
                        )
                        for a in c.get("additional_resources", [])
                    ),
                    is_none_of_these=c.get("none_of_these", c["id"].endswith(m.NONE_OF_THESE_SUFFIX)),
                    description=c.get("description", ""),
                )
                for c in q["choices"]
            )
            rules = tuple(m.RiskRule(condition=r["condition"], risk=m.Risk(r["risk"])) for r in q["risk_rules"])
            questions.append(
                m.Question(
                    id=q["id"],
                    title=q["title"],
                    description=q["description"],
                    helpful_resource=_resource(q.get("helpful_resource")),
                    improvement_plan=_resource(q.get("improvement_plan")),
                    choices=choices,
                    risk_rules=rules,
                )
            )
        pillars.append(m.Pillar(id=p["id"], name=p["name"], questions=tuple(questions)))
    return m.Lens(
        name=doc["name"],
        description=doc["description"],
        version_label=doc.get("version"),
        pillars=tuple(pillars),
    )


def parse_yaml(data: str | bytes) -> tuple[m.Lens, list[LensIssue]]:
    """Parse an opsx lens YAML file. Returns ``(lens, warnings)``; raises :class:`LensFormatError`."""
    doc = _decode(data)
    issues: list[LensIssue] = []
    for error in schema_validator().iter_errors(doc):
        issues.extend(i for i in _issues(error) if i not in issues)
    if issues:
        raise LensFormatError(issues)
    lens = _build(doc)
    errors, warnings = validate(lens, YAML_KEYS)
    if errors:
        raise LensFormatError(errors, warnings)
    return lens, warnings


def _resource_out(res: m.Resource) -> dict[str, Any]:
    out: dict[str, Any] = {"text": res.display_text}
    if res.url is not None:
        out["url"] = res.url
    return out


def to_yaml_dict(lens: m.Lens) -> dict[str, Any]:
    """The lens as an opsx YAML document (plain dicts and lists, keys in display order)."""
    errors, _ = validate(lens, YAML_KEYS)
    if errors:
        raise LensFormatError(errors)
    doc: dict[str, Any] = {"format": FORMAT, "name": lens.name}
    if lens.version_label is not None:
        doc["version"] = lens.version_label
    doc["description"] = lens.description
    doc["pillars"] = [
        {"id": p.id, "name": p.name, "questions": [_question_out(q) for q in p.questions]} for p in lens.pillars
    ]
    return doc


def _question_out(q: m.Question) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.id, "title": q.title, "description": q.description}
    if q.helpful_resource is not None:
        out["helpful_resource"] = _resource_out(q.helpful_resource)
    if q.improvement_plan is not None:
        out["improvement_plan"] = _resource_out(q.improvement_plan)
    out["choices"] = [_choice_out(c) for c in q.choices]
    out["risk_rules"] = [{"condition": r.condition, "risk": str(r.risk)} for r in q.risk_rules]
    return out


def _choice_out(c: m.Choice) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.id, "title": c.title}
    if c.is_none_of_these and not c.id.endswith(m.NONE_OF_THESE_SUFFIX):
        out["none_of_these"] = True
    if c.description:
        out["description"] = c.description
    if c.helpful_resource is not None:
        out["helpful_resource"] = _resource_out(c.helpful_resource)
    if c.improvement_plan is not None:
        out["improvement_plan"] = _resource_out(c.improvement_plan)
    if c.additional_resources:
        out["additional_resources"] = [
            {"type": str(a.type), "content": [_resource_out(r) for r in a.content]} for a in c.additional_resources
        ]
    return out


class _Dumper(yaml.SafeDumper):
    """Safe dumper that indents lists under their key and writes multi-line text as literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(lens: m.Lens) -> str:
    """Serialise a lens in the opsx YAML format."""
    return yaml.dump(to_yaml_dict(lens), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
