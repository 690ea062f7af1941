"""Tests for reviews.lensfile: pure Python, no database."""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reviews.lensfile import (
    LensFormatError,
    LensFormatWarning,
    Resource,
    Risk,
    builtin_lens_path,
    detect_format,
    diff_documents,
    dump,
    evaluate,
    load,
    load_with_warnings,
)
from reviews.lensfile import compare as lensfile_compare
from reviews.lensfile import model as m
from reviews.lensfile.conditions import ConditionSyntaxError, canonical, parse_condition
from reviews.lensfile.opsx_yaml import schema_validator
from tests.shared_data import SHARED_LENS_FILES as SHARED_FILES
from tests.shared_data import SHARED_LENSES
from tests.shared_data import needs_shared_lenses as needs_shared


def aws_doc() -> dict[str, Any]:
    """A small valid AWS custom lens: two pillars, one question each."""

    def question(qid: str) -> dict[str, Any]:
        return {
            "id": qid,
            "title": "Is it ready?",
            "description": "A question.",
            "choices": [
                {"id": "alpha", "title": "Alpha", "improvementPlan": {"displayText": "Do alpha."}},
                {
                    "id": "beta",
                    "title": "Beta",
                    "improvementPlan": {"displayText": "Do beta.", "url": "https://x.test"},
                },
                {"id": "gamma", "title": "Gamma", "improvementPlan": {"displayText": "Do gamma."}},
                {"id": f"{qid}_no", "title": "None of these"},
            ],
            "riskRules": [
                {"condition": "alpha && beta", "risk": "NO_RISK"},
                {"condition": "gamma", "risk": "MEDIUM_RISK"},
                {"condition": "default", "risk": "HIGH_RISK"},
            ],
        }

    return {
        "schemaVersion": "2021-11-01",
        "name": "Test lens",
        "description": "For tests.",
        "pillars": [
            {"id": "pillar_one", "name": "One", "questions": [question("q_one")]},
            {"id": "pillar_two", "name": "Two", "questions": [question("q_two")]},
        ],
    }


def load_aws(doc: dict[str, Any]) -> m.Lens:
    return load(json.dumps(doc, indent=2), fmt="aws")


def aws_errors(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(LensFormatError) as excinfo:
        load_aws(doc)
    return [str(e) for e in excinfo.value.errors]


def yaml_errors(text: str) -> list[str]:
    with pytest.raises(LensFormatError) as excinfo:
        load(text, fmt="yaml")
    return [str(e) for e in excinfo.value.errors]


def small_yaml() -> str:
    return dump(load_aws(aws_doc()), "yaml")


# --- real files ---------------------------------------------------------------------------------


@needs_shared
@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.name)
def test_shared_lens_files_import(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    lens, _ = load_with_warnings(path.read_bytes(), filename=path.name)
    assert lens.name == raw["name"]
    assert len(lens.questions()) == sum(len(p["questions"]) for p in raw["pillars"])
    assert all(q.risk_rules[-1].is_default for q in lens.questions())


@needs_shared
def test_shared_lens_oddities_are_reported_not_lost() -> None:
    orr = SHARED_LENSES / "ORR-Lens__ORR-Whitepaper-Sample-PUBLISHED.json"
    lens, issues = load_with_warnings(orr.read_bytes(), filename=orr.name)
    choice = lens.pillars[0].questions[3].choices[1]
    assert choice.helpful_resource is not None
    assert (
        choice.helpful_resource.url
        == "https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/"
    )
    assert [str(i) for i in issues] == [
        "pillars[0].questions[3].choices[1].helpfulResource.Url: wrong capitalisation; "
        "read as 'url' (keys are case-sensitive)"
    ]
    s3 = SHARED_LENSES / "Amazon-S3-Lens__Amazon_S3_Lens.json"
    s3_lens, s3_issues = load_with_warnings(s3.read_bytes(), filename=s3.name)
    assert s3_lens.version_label == "v3.1.0"
    assert [str(i) for i in s3_issues] == ["_note: unknown key; ignored"]
    ddb = SHARED_LENSES / "DynamoDB__custom-lensddb-v1.0.json"
    _, ddb_issues = load_with_warnings(ddb.read_bytes(), filename=ddb.name)
    assert [str(i) for i in ddb_issues] == [
        "_release_date: unknown key; ignored",
        "_release_note: unknown key; ignored",
        "_teams: unknown key; ignored",
    ]


@needs_shared
@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.name)
def test_shared_lens_round_trips(path: Path) -> None:
    lens, _ = load_with_warnings(path.read_bytes(), filename=path.name)
    via_aws = load(dump(lens, "aws"), fmt="aws")
    via_yaml = load(dump(lens, "yaml"), fmt="yaml")
    back_to_aws = load(dump(via_yaml, "aws"), fmt="aws")
    assert via_aws == lens
    assert via_yaml.fingerprint() == lens.fingerprint()
    assert back_to_aws.fingerprint() == lens.fingerprint()


# --- built-in lens ------------------------------------------------------------------------------


def test_builtin_lens_validates_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lens = load(builtin_lens_path().read_bytes(), filename="operational-readiness.yaml")
    assert lens.name == "Operational Readiness"
    assert [p.name for p in lens.pillars] == ["Organization", "Prepare", "Operate", "Evolve"]
    questions = lens.questions()
    assert len(questions) >= 25
    for q in questions:
        real = [c for c in q.choices if not c.is_none_of_these]
        assert 3 <= len(real) <= 6, q.id
        assert len(q.choices) - len(real) == 1, q.id
        assert q.helpful_resource is not None, q.id
        assert all(c.improvement_plan is not None for c in real), q.id
        assert q.risk_rules[-1].is_default, q.id
        assert evaluate(q, [c.id for c in real]) == Risk.NO_RISK, q.id
        assert evaluate(q, [q.choices[-1].id]) != Risk.NO_RISK, q.id
    risks = {r.risk for q in questions for r in q.risk_rules}
    assert risks == set(Risk)


def test_builtin_lens_round_trips_across_formats() -> None:
    lens = load(builtin_lens_path().read_text(encoding="utf-8"), fmt="yaml")
    assert load(dump(lens, "yaml"), fmt="yaml") == lens
    assert load(dump(lens, "aws"), fmt="aws").fingerprint() == lens.fingerprint()
    aws_then_yaml = load(dump(load(dump(lens, "aws")), "yaml"))
    assert aws_then_yaml.fingerprint() == lens.fingerprint()


# --- round trips on the small lens --------------------------------------------------------------


def test_round_trip_aws_to_aws() -> None:
    lens = load_aws(aws_doc())
    text = dump(lens, "aws")
    assert json.loads(text) == aws_doc()
    assert load(text).fingerprint() == lens.fingerprint()


def test_round_trip_yaml_to_yaml_and_aws_yaml_aws() -> None:
    lens = load_aws(aws_doc())
    yaml_text = dump(lens, "yaml")
    assert yaml_text.startswith("format: opsx-lens/v1\n")
    from_yaml = load(yaml_text)
    assert from_yaml == lens
    assert load(dump(from_yaml, "yaml")).fingerprint() == lens.fingerprint()
    assert json.loads(dump(from_yaml, "aws")) == aws_doc()


def test_version_label_survives_both_formats() -> None:
    doc = aws_doc()
    doc["_version"] = "2.1"
    lens = load_aws(doc)
    assert lens.version_label == "2.1"
    assert "version: '2.1'" in dump(lens, "yaml")
    assert load(dump(lens, "yaml")).version_label == "2.1"


def test_multiline_text_round_trips_through_yaml() -> None:
    doc = aws_doc()
    doc["description"] = "Line one.\n\n  Indented line with trailing space \nlast"
    lens = load_aws(doc)
    assert load(dump(lens, "yaml")).description == doc["description"]


# --- invalid AWS files: exact error strings ----------------------------------------------------


def test_unknown_choice_id_in_condition() -> None:
    doc = aws_doc()
    doc["pillars"][0]["questions"][0]["riskRules"][1]["condition"] = "gamma || x"
    assert aws_errors(doc) == ["pillars[0].questions[0].riskRules[1].condition: unknown choice id 'x'"]


def test_duplicate_question_id() -> None:
    doc = aws_doc()
    doc["pillars"][1]["questions"][0]["id"] = "q_one"
    doc["pillars"][1]["questions"][0]["choices"][3]["id"] = "q_one_no"
    assert aws_errors(doc) == [
        "pillars[1].questions[0].id: duplicate question id 'q_one' (first used at pillars[0].questions[0].id)"
    ]


def test_missing_required_field() -> None:
    doc = aws_doc()
    del doc["pillars"][0]["questions"][0]["title"]
    assert aws_errors(doc) == ["pillars[0].questions[0].title: required field is missing"]


def test_bad_risk_value() -> None:
    doc = aws_doc()
    doc["pillars"][0]["questions"][0]["riskRules"][0]["risk"] = "LOW_RISK"
    assert aws_errors(doc) == [
        "pillars[0].questions[0].riskRules[0].risk: must be one of HIGH_RISK, MEDIUM_RISK, NO_RISK (got 'LOW_RISK')"
    ]


def test_too_long_name() -> None:
    doc = aws_doc()
    doc["name"] = "n" * 129
    assert aws_errors(doc) == ["name: must be at most 128 characters (got 129)"]
    doc["name"] = "n" * 128
    assert load_aws(doc).name == "n" * 128


def test_malformed_json_reports_line_and_column() -> None:
    text = '{\n  "schemaVersion": "2021-11-01"\n  "name": "x"\n}'
    with pytest.raises(LensFormatError) as excinfo:
        load(text, fmt="aws")
    assert str(excinfo.value) == "line 3, column 3: invalid JSON: Expecting ',' delimiter"


def test_trailing_comma_is_refused_with_a_clear_reason() -> None:
    text = json.dumps(aws_doc(), indent=2)
    text = text.replace('"description": "For tests."', '"description": "For tests.",', 1)
    text = text.replace('"For tests.",,', '"For tests.",')
    bad = text[: text.rindex("]")] + "],\n}"
    with pytest.raises(LensFormatError) as excinfo:
        load(bad, fmt="aws")
    message = str(excinfo.value)
    assert message.startswith(f"line {bad.count(chr(10)) + 1}, column 1: invalid JSON: ")
    assert message.endswith("trailing comma is not allowed")


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(LensFormatError, match="key 'name' repeated in one object"):
        load('{"name": "a", "name": "b"}', fmt="aws")


def test_byte_order_mark_is_skipped_with_a_warning() -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(aws_doc()).encode("utf-8")
    with pytest.warns(LensFormatWarning, match="byte order mark; skipped"):
        lens = load(raw)
    assert lens.name == "Test lens"


def test_unknown_keys_are_ignored_with_a_warning() -> None:
    doc = aws_doc()
    doc["_notes"] = "kept by authors"
    doc["pillars"][0]["colour"] = "blue"
    with pytest.warns(LensFormatWarning) as record:
        lens = load_aws(doc)
    assert [str(w.message) for w in record] == [
        "_notes: unknown key; ignored",
        "pillars[0].colour: unknown key; ignored",
    ]
    assert lens == load_aws(aws_doc())


def test_key_given_in_two_capitalisations_is_refused() -> None:
    doc = aws_doc()
    plan = doc["pillars"][0]["questions"][0]["choices"][1]["improvementPlan"]
    plan["URL"] = "https://other.test"
    assert aws_errors(doc) == [
        "pillars[0].questions[0].choices[1].improvementPlan.URL: key 'url' given twice with different capitalisation"
    ]


def test_several_errors_are_reported_together_one_line_each() -> None:
    doc = aws_doc()
    doc["schemaVersion"] = "2020-01-01"
    q = doc["pillars"][0]["questions"][0]
    q["choices"][0]["id"] = "a"
    del q["choices"][2]["improvementPlan"]
    q["choices"][1]["improvementPlan"]["url"] = "ftp://x.test"
    q["riskRules"] = [{"condition": "beta &&", "risk": "NO_RISK"}, {"condition": "beta", "risk": "NO_RISK"}]
    with pytest.raises(LensFormatError) as excinfo:
        load_aws(doc)
    assert str(excinfo.value).splitlines() == [
        "schemaVersion: must be '2021-11-01' (got '2020-01-01')",
        "pillars[0].questions[0].choices[0].id: must be 3-128 characters, only letters, digits and underscores",
        (
            "pillars[0].questions[0].choices[1].improvementPlan.url: "
            "must start with http:// or https:// and contain no spaces"
        ),
        "pillars[0].questions[0].choices[2].improvementPlan: required field is missing",
        (
            "pillars[0].questions[0].riskRules[0].condition: invalid condition: "
            "condition ends where a choice id or '(' was expected"
        ),
        (
            "pillars[0].questions[0].riskRules[1].risk: "
            "risk NO_RISK already used by pillars[0].questions[0].riskRules[0]; one rule per risk level"
        ),
    ]


def test_limits_from_the_specification() -> None:
    doc = aws_doc()
    q = doc["pillars"][0]["questions"][0]
    q["choices"][0]["additionalResources"] = [
        {"type": "HELPFUL_RESOURCE", "content": [{"displayText": f"r{i}"} for i in range(6)]},
        {"type": "OTHER", "content": []},
    ]
    q["riskRules"].insert(0, {"condition": "alpha", "risk": "MEDIUM_RISK"})
    assert aws_errors(doc) == [
        (
            "pillars[0].questions[0].choices[0].additionalResources[1].type: "
            "must be one of HELPFUL_RESOURCE, IMPROVEMENT_PLAN (got 'OTHER')"
        ),
    ]
    q["choices"][0]["additionalResources"].pop()
    assert aws_errors(doc) == [
        "pillars[0].questions[0].choices[0].additionalResources: at most 5 HELPFUL_RESOURCE items allowed (got 6)",
        "pillars[0].questions[0].riskRules: at most 3 allowed (got 4)",
        (
            "pillars[0].questions[0].riskRules[2].risk: risk MEDIUM_RISK already used by "
            "pillars[0].questions[0].riskRules[0]; one rule per risk level"
        ),
    ]


def test_none_of_these_choice_needs_no_improvement_plan_but_others_do() -> None:
    lens = load_aws(aws_doc())
    none_choice = lens.pillars[0].questions[0].choices[3]
    assert none_choice.is_none_of_these and none_choice.improvement_plan is None
    assert not lens.pillars[0].questions[0].choices[0].is_none_of_these


def test_rule_after_default_is_accepted_but_warned_about() -> None:
    doc = aws_doc()
    rules = doc["pillars"][0]["questions"][0]["riskRules"]
    rules.append(rules.pop(1))
    lens, issues = load_with_warnings(json.dumps(doc))
    assert [str(i) for i in issues] == [
        (
            "pillars[0].questions[0].riskRules[2]: unreachable: comes after the default rule at "
            "pillars[0].questions[0].riskRules[1]"
        )
    ]
    assert evaluate(lens.pillars[0].questions[0], ["gamma"]) == Risk.HIGH_RISK


# --- lenses as they exist in the wild: repaired with a warning, refused when strict ---------------


def repaired(doc: dict[str, Any] | str) -> tuple[m.Lens, list[str]]:
    """Load leniently, check that a strict load refuses the same file, and return (lens, warning lines)."""
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    lens, issues = load_with_warnings(text, fmt="aws")
    with pytest.raises(LensFormatError) as excinfo:
        load_with_warnings(text, fmt="aws", strict=True)
    assert [e.path for e in excinfo.value.errors] == [i.path for i in issues]
    assert all(str(e).endswith("(a strict import refuses this)") for e in excinfo.value.errors)
    return lens, [str(i) for i in issues]


def assert_round_trips(lens: m.Lens) -> None:
    """Export as AWS (and as YAML) re-imports as the same lens: same fingerprint, same version."""
    assert load_with_warnings(dump(lens, "aws"), fmt="aws")[0] == lens
    assert load_with_warnings(dump(lens, "yaml"), fmt="yaml")[0] == lens


def test_question_without_default_rule_gets_no_risk_when_nothing_matches() -> None:
    doc = aws_doc()
    doc["pillars"][0]["questions"][0]["riskRules"] = [
        {"condition": "alpha && beta", "risk": "NO_RISK"},
        {"condition": "!alpha", "risk": "HIGH_RISK"},
    ]
    lens, lines = repaired(doc)
    assert lines == [
        "pillars[0].questions[0].riskRules: no 'default' rule; an answer that matches none of the rules gets NO_RISK"
    ]
    q = lens.pillars[0].questions[0]
    assert not q.has_default_rule
    assert evaluate(q, ["beta"]) == Risk.HIGH_RISK
    assert evaluate(q, ["alpha", "gamma"]) == Risk.NO_RISK  # matches no rule
    assert_round_trips(lens)
    assert [r["condition"] for r in json.loads(dump(lens, "aws"))["pillars"][0]["questions"][0]["riskRules"]] == [
        "alpha && beta",
        "!alpha",
    ]


def test_urls_with_spaces_are_trimmed_and_encoded() -> None:
    doc = aws_doc()
    choices = doc["pillars"][0]["questions"][0]["choices"]
    choices[0]["helpfulResource"] = {"displayText": "Read", "url": "  https://x.test/a b  "}
    choices[1]["improvementPlan"]["url"] = "https://x.test/plan\t"
    lens, lines = repaired(doc)
    assert lines == [
        "pillars[0].questions[0].choices[0].helpfulResource.url: spaces around the URL; removed",
        "pillars[0].questions[0].choices[0].helpfulResource.url: spaces inside the URL; written as %20",
        "pillars[0].questions[0].choices[1].improvementPlan.url: spaces around the URL; removed",
    ]
    first, second = lens.pillars[0].questions[0].choices[:2]
    assert first.helpful_resource == Resource("Read", "https://x.test/a%20b")
    assert second.improvement_plan is not None and second.improvement_plan.url == "https://x.test/plan"
    assert_round_trips(lens)


def test_a_url_that_is_not_a_link_is_still_refused() -> None:
    doc = aws_doc()
    doc["pillars"][0]["questions"][0]["choices"][0]["improvementPlan"]["url"] = " www.x.test "
    assert aws_errors(doc) == [
        "pillars[0].questions[0].choices[0].improvementPlan.url: "
        "must start with http:// or https:// and contain no spaces"
    ]


def test_bare_nan_title_is_read_as_text() -> None:
    text = json.dumps(aws_doc(), indent=2).replace('"title": "Gamma"', '"title": NaN', 1)
    text = text.replace('"description": "For tests."', '"description": -Infinity', 1)
    lens, lines = repaired(text)
    assert lines == [
        "description: bare -Infinity token (not JSON); read as the text '-Infinity'",
        "pillars[0].questions[0].choices[2].title: bare NaN token (not JSON); read as the text 'NaN'",
    ]
    assert lens.pillars[0].questions[0].choices[2].title == "NaN"
    assert type(lens.pillars[0].questions[0].choices[2].title) is str
    assert lens.description == "-Infinity"
    assert_round_trips(lens)
    assert "NaN" not in dump(lens, "aws").replace('"NaN"', "")  # written back as a JSON string


def test_bare_nan_where_an_object_belongs_is_refused() -> None:
    text = json.dumps(aws_doc()).replace('"improvementPlan": {"displayText": "Do alpha."}', '"improvementPlan": NaN', 1)
    with pytest.raises(LensFormatError) as excinfo:
        load(text, fmt="aws")
    assert str(excinfo.value) == "pillars[0].questions[0].choices[0].improvementPlan: must be an object"


def test_unknown_top_level_keys_and_capitalised_url() -> None:
    doc = aws_doc()
    doc["_release_note"] = "first"
    doc["_teams"] = {"_authors": [{"name": "Someone"}]}
    doc["pillars"][1]["questions"][0]["choices"][1]["improvementPlan"] = {
        "displayText": "Do beta.",
        "Url": "https://x.test",
    }
    lens, lines = repaired(doc)
    assert lines == [
        "_release_note: unknown key; ignored",
        "_teams: unknown key; ignored",
        "pillars[1].questions[0].choices[1].improvementPlan.Url: wrong capitalisation; "
        "read as 'url' (keys are case-sensitive)",
    ]
    assert lens == load_aws(aws_doc())


def test_choice_description_is_kept_and_written_back() -> None:
    doc = aws_doc()
    doc["pillars"][0]["questions"][0]["choices"][0]["description"] = "Alpha means the first practice."
    lens, issues = load_with_warnings(json.dumps(doc), fmt="aws", strict=True)
    assert issues == []
    choice = lens.pillars[0].questions[0].choices[0]
    assert choice.description == "Alpha means the first practice."
    assert choice.to_dict()["description"] == "Alpha means the first practice."
    assert "description" not in lens.pillars[0].questions[0].choices[1].to_dict()  # old fingerprints unchanged
    assert json.loads(dump(lens, "aws"))["pillars"][0]["questions"][0]["choices"][0]["description"] == (
        "Alpha means the first practice."
    )
    assert "description: Alpha means the first practice." in dump(lens, "yaml")
    assert_round_trips(lens)
    assert lens.fingerprint() != load_aws(aws_doc()).fingerprint()


def test_additional_resources_and_question_helpful_resource_from_the_wild() -> None:
    doc = aws_doc()
    q = doc["pillars"][0]["questions"][0]
    q["helpfulResource"] = {"displayText": "Why this matters.", "url": "https://x.test/why "}
    q["choices"][0]["additionalResources"] = [
        {
            "type": "HELPFUL_RESOURCE",
            "content": [{"displayText": "Blog", "url": "https://x.test/blog"}, {"url": "https://x.test/bare"}],
        },
        {"type": "IMPROVEMENT_PLAN", "content": [{"displayText": ""}]},
    ]
    lens, lines = repaired(doc)
    assert lines == [
        "pillars[0].questions[0].helpfulResource.url: spaces around the URL; removed",
        "pillars[0].questions[0].choices[0].additionalResources[0].content[1].displayText: "
        "missing; the URL is shown instead",
        "pillars[0].questions[0].choices[0].additionalResources[1].content[0]: resource without text or URL; ignored",
    ]
    question = lens.pillars[0].questions[0]
    assert question.helpful_resource == Resource("Why this matters.", "https://x.test/why")
    helpful, plan = question.choices[0].additional_resources
    assert helpful.content == (
        Resource("Blog", "https://x.test/blog"),
        Resource("https://x.test/bare", "https://x.test/bare"),
    )
    assert plan.type == m.ResourceType.IMPROVEMENT_PLAN and plan.content == ()
    assert_round_trips(lens)


def test_none_of_these_choice_with_an_unconventional_id_is_recognised_by_title() -> None:
    doc = aws_doc()
    q = doc["pillars"][0]["questions"][0]
    q["choices"][3] = {"id": "q_one_none", "title": "None of the above"}
    q["riskRules"][2]["condition"] = "default"
    lens, lines = repaired(doc)
    assert lines == [
        "pillars[0].questions[0].choices[3].id: 'q_one_none' does not end in '_no'; "
        "read as the question's 'None of these' choice, as its title says"
    ]
    choice = lens.pillars[0].questions[0].choices[3]
    assert choice.is_none_of_these and choice.improvement_plan is None
    with pytest.raises(ValueError, match="cannot be combined"):
        evaluate(lens.pillars[0].questions[0], ["alpha", "q_one_none"])
    assert "none_of_these: true" in dump(lens, "yaml")
    assert_round_trips(lens)


def test_a_none_of_these_choice_the_aws_format_cannot_mark_is_not_exported() -> None:
    lens = load_aws(aws_doc())
    q = lens.pillars[0].questions[0]
    odd = replace(q.choices[3], id="q_one_nothing", title="Nothing applies")
    changed = replace(
        lens,
        pillars=(replace(lens.pillars[0], questions=(replace(q, choices=(*q.choices[:3], odd)),)), lens.pillars[1]),
    )
    assert load(dump(changed, "yaml"), fmt="yaml") == changed
    with pytest.raises(
        LensFormatError, match=r"choices\[3\]\.id: a 'None of these' choice needs an id ending in '_no'"
    ):
        dump(changed, "aws")


def test_what_is_really_broken_is_still_refused_with_its_path_and_strict_adds_the_repairs() -> None:
    doc = aws_doc()
    doc["_note"] = "extra"
    rules = doc["pillars"][0]["questions"][0]["riskRules"]
    rules[0]["condition"] = "alpha && delta"
    rules[1]["condition"] = "gamma &"
    broken = [
        "pillars[0].questions[0].riskRules[0].condition: unknown choice id 'delta'",
        "pillars[0].questions[0].riskRules[1].condition: invalid condition: unexpected character '&' at position 7",
    ]
    assert aws_errors(doc) == broken
    with pytest.raises(LensFormatError) as excinfo:
        load_with_warnings(json.dumps(doc), fmt="aws", strict=True)
    assert [str(e) for e in excinfo.value.errors] == [*broken, "_note: unknown key (a strict import refuses this)"]


@needs_shared
@pytest.mark.parametrize("path", SHARED_FILES, ids=lambda p: p.name)
def test_shared_lens_files_need_repairs_so_strict_refuses_them(path: Path) -> None:
    _, issues = load_with_warnings(path.read_bytes(), filename=path.name)
    with pytest.raises(LensFormatError) as excinfo:
        load_with_warnings(path.read_bytes(), filename=path.name, strict=True)
    assert len(excinfo.value.errors) == len(issues) > 0


# --- invalid YAML files -------------------------------------------------------------------------


def test_yaml_unknown_choice_id_in_condition() -> None:
    text = small_yaml().replace("condition: gamma\n", "condition: gamma || x\n", 1)
    assert yaml_errors(text) == ["pillars[0].questions[0].risk_rules[1].condition: unknown choice id 'x'"]


def test_yaml_structure_errors_use_yaml_keys() -> None:
    text = small_yaml().replace("name: Test lens", "name: " + "n" * 129, 1)
    text = text.replace("        title: Is it ready?\n", "", 1)
    text = text.replace("risk: NO_RISK", "risk: no_risk", 1)
    text = text.replace("format: opsx-lens/v1\n", "format: opsx-lens/v1\ncolour: blue\n", 1)
    assert yaml_errors(text) == [
        "colour: unknown key",
        "name: must be at most 128 characters (got 129)",
        "pillars[0].questions[0].title: required field is missing",
        "pillars[0].questions[0].risk_rules[0].risk: must be one of HIGH_RISK, MEDIUM_RISK, NO_RISK (got 'no_risk')",
    ]


def test_yaml_duplicate_question_id() -> None:
    text = small_yaml().replace("id: q_two", "id: q_one", 1).replace("id: q_two_no", "id: q_one_no", 1)
    assert yaml_errors(text) == [
        "pillars[1].questions[0].id: duplicate question id 'q_one' (first used at pillars[0].questions[0].id)"
    ]


def test_yaml_syntax_error_and_repeated_key_report_lines() -> None:
    assert yaml_errors("format: opsx-lens/v1\nname: [unclosed\n") == [
        "line 3, column 1: invalid YAML: expected ',' or ']', but got '<stream end>'"
    ]
    assert yaml_errors("format: opsx-lens/v1\nname: a\nname: b\n") == [
        "line 3, column 1: invalid YAML: key 'name' repeated in one mapping"
    ]


def test_yaml_non_string_scalars_are_refused() -> None:
    text = small_yaml().replace("format: opsx-lens/v1\n", "format: opsx-lens/v1\nversion: 1.0\n", 1)
    assert yaml_errors(text) == ["version: must be a string"]


def test_yaml_schema_limits_match_model_constants() -> None:
    props = schema_validator().schema
    defs = props["$defs"]
    assert props["properties"]["pillars"]["maxItems"] == m.MAX_PILLARS
    assert defs["pillar"]["properties"]["questions"]["maxItems"] == m.MAX_QUESTIONS_PER_PILLAR
    assert defs["question"]["properties"]["choices"]["maxItems"] == m.MAX_CHOICES_PER_QUESTION
    assert defs["question"]["properties"]["risk_rules"]["maxItems"] == m.MAX_RISK_RULES
    assert defs["name"]["maxLength"] == m.MAX_NAME
    assert defs["text"]["maxLength"] == m.MAX_TEXT
    assert props["properties"]["version"]["maxLength"] == m.MAX_VERSION_LABEL


# --- conditions ---------------------------------------------------------------------------------


def question_with_rules(*rules: tuple[str, Risk]) -> m.Question:
    return m.Question(
        id="q_test",
        title="T",
        description="",
        choices=tuple(m.Choice(id=c, title=c, improvement_plan=Resource("fix")) for c in ("aaa", "bbb", "ccc"))
        + (m.Choice(id="q_test_no", title="None", is_none_of_these=True),),
        risk_rules=tuple(m.RiskRule(condition=c, risk=r) for c, r in rules),
    )


def truth(condition: str, selected: set[str]) -> bool:
    return parse_condition(condition).evaluate(frozenset(selected))


def test_and_binds_tighter_than_or() -> None:
    # a || b && c  ==  a || (b && c), not (a || b) && c
    assert truth("aaa || bbb && ccc", {"aaa"}) is True
    assert truth("(aaa || bbb) && ccc", {"aaa"}) is False
    assert truth("bbb && ccc || aaa", {"aaa"}) is True
    assert truth("aaa || bbb && ccc", {"bbb"}) is False


def test_negation_and_parentheses() -> None:
    assert truth("!aaa", set()) is True
    assert truth("!aaa", {"aaa"}) is False
    assert truth("!aaa && bbb", {"bbb"}) is True
    assert truth("!(aaa && bbb)", {"aaa", "bbb"}) is False
    assert truth("!(aaa && bbb)", {"aaa"}) is True
    assert truth("!!aaa", {"aaa"}) is True
    assert truth("((aaa))", {"aaa"}) is True


def test_specification_example_behaviour() -> None:
    q = question_with_rules(
        ("aaa && bbb && ccc", Risk.NO_RISK),
        ("((aaa || bbb) && ccc) || (!aaa && ccc)", Risk.MEDIUM_RISK),
        ("default", Risk.HIGH_RISK),
    )
    assert evaluate(q, ["aaa", "bbb", "ccc"]) == Risk.NO_RISK
    assert evaluate(q, ["aaa", "ccc"]) == Risk.MEDIUM_RISK
    assert evaluate(q, ["ccc"]) == Risk.MEDIUM_RISK
    assert evaluate(q, ["aaa", "bbb"]) == Risk.HIGH_RISK
    assert evaluate(q, []) == Risk.HIGH_RISK


def test_first_matching_rule_wins() -> None:
    q = question_with_rules(("aaa", Risk.MEDIUM_RISK), ("aaa && bbb", Risk.NO_RISK), ("default", Risk.HIGH_RISK))
    assert evaluate(q, ["aaa", "bbb"]) == Risk.MEDIUM_RISK
    reordered = replace(q, risk_rules=(q.risk_rules[1], q.risk_rules[0], q.risk_rules[2]))
    assert evaluate(reordered, ["aaa", "bbb"]) == Risk.NO_RISK


def test_default_applies_when_nothing_else_matches() -> None:
    q = question_with_rules(("aaa", Risk.NO_RISK), ("default", Risk.MEDIUM_RISK))
    assert evaluate(q, ["bbb"]) == Risk.MEDIUM_RISK
    assert evaluate(q, ["q_test_no"]) == Risk.MEDIUM_RISK
    assert isinstance(parse_condition("  default "), type(parse_condition("default")))


def test_evaluate_refuses_bad_selections() -> None:
    q = question_with_rules(("default", Risk.NO_RISK))
    with pytest.raises(ValueError, match="has no choice 'zzz'"):
        evaluate(q, ["zzz"])
    with pytest.raises(ValueError, match="cannot be combined"):
        evaluate(q, ["aaa", "q_test_no"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "condition is empty"),
        ("aaa &&", "condition ends where a choice id or '(' was expected"),
        ("(aaa", "missing ')' at the end"),
        ("aaa bbb", "unexpected 'bbb' at position 5"),
        ("aaa & bbb", "unexpected character '&' at position 5"),
        ("aaa)", "unexpected ')' at position 4"),
        ("aaa and bbb", "unexpected 'and' at position 5"),
    ],
)
def test_condition_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ConditionSyntaxError) as excinfo:
        parse_condition(text)
    assert str(excinfo.value) == message


def test_canonical_condition_text() -> None:
    assert canonical("((aaa||bbb))&&ccc") == "(aaa || bbb) && ccc"
    assert canonical("aaa && (bbb && ccc)") == "aaa && bbb && ccc"
    assert canonical("!(aaa)") == "!aaa"


# --- fingerprints -------------------------------------------------------------------------------


def test_fingerprint_equal_for_identical_lenses() -> None:
    one, two = load_aws(aws_doc()), load_aws(aws_doc())
    assert one is not two
    assert one.fingerprint() == two.fingerprint()
    assert len(one.fingerprint()) == 64
    spaced = aws_doc()
    spaced["pillars"][0]["questions"][0]["riskRules"][0]["condition"] = "(alpha&&beta)"
    assert load_aws(spaced).fingerprint() == one.fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.__setitem__("description", "Changed."),
        lambda d: d["pillars"][0]["questions"][0]["choices"][0].__setitem__("title", "Alpha!"),
        lambda d: d["pillars"][0]["questions"][0]["riskRules"][1].__setitem__("condition", "gamma || alpha"),
        lambda d: (
            d["pillars"][1]["questions"][0]["riskRules"][2].__setitem__("risk", "MEDIUM_RISK")
            or d["pillars"][1]["questions"][0]["riskRules"][1].__setitem__("risk", "HIGH_RISK")
        ),
        lambda d: d.__setitem__("_version", "2"),
        lambda d: d["pillars"].reverse(),
    ],
    ids=["description", "choice-title", "condition", "risk", "version", "pillar-order"],
)
def test_fingerprint_changes_with_content(change: Any) -> None:
    changed = copy.deepcopy(aws_doc())
    change(changed)
    assert load_aws(changed).fingerprint() != load_aws(aws_doc()).fingerprint()


# --- load / dump plumbing -----------------------------------------------------------------------


def test_detect_format() -> None:
    assert detect_format("{}", None) == "aws"
    assert detect_format(b"\xef\xbb\xbf  {", None) == "aws"
    assert detect_format("format: opsx-lens/v1", None) == "yaml"
    assert detect_format("{}", "lens.yaml") == "yaml"
    assert detect_format("format: x", "lens.JSON") == "aws"


def test_aws_export_refuses_question_improvement_plan() -> None:
    lens = load_aws(aws_doc())
    q = replace(lens.pillars[0].questions[0], improvement_plan=Resource("Improve the whole area."))
    changed = replace(lens, pillars=(replace(lens.pillars[0], questions=(q,)), lens.pillars[1]))
    assert load(dump(changed, "yaml")) == changed
    with pytest.raises(LensFormatError) as excinfo:
        dump(changed, "aws")
    assert str(excinfo.value) == (
        "pillars[0].questions[0].improvementPlan: the AWS format has no question-level improvement plan"
    )


def test_dump_refuses_invalid_lens_and_unknown_format() -> None:
    lens = load_aws(aws_doc())
    with pytest.raises(LensFormatError, match="^name: must not be empty$"):
        dump(replace(lens, name=""), "yaml")
    with pytest.raises(ValueError, match="unknown lens format 'xml'"):
        dump(lens, "xml")  # type: ignore[arg-type]


# --- comparing two versions ---------------------------------------------------------------------


def changed_doc() -> dict[str, Any]:
    """aws_doc() as a second version: one question of each kind of change, and one new question."""
    doc = aws_doc()
    q_one = doc["pillars"][0]["questions"][0]
    q_one["title"] = "Is it ready for launch?"
    alpha, beta, gamma, none = q_one["choices"]
    alpha["improvementPlan"]["url"] = "https://x.test/alpha"
    gamma["description"] = "Gamma, explained."
    q_one["choices"] = [
        alpha,
        {"id": "delta", "title": "Delta", "improvementPlan": {"displayText": "Do delta."}},
        gamma,
        none,
    ]
    q_one["riskRules"] = [
        {"condition": "gamma || delta", "risk": "MEDIUM_RISK"},
        {"condition": "default", "risk": "HIGH_RISK"},
    ]
    q_two = doc["pillars"][1]["questions"].pop(0)
    doc["pillars"][0]["questions"].append(q_two)
    q_three = copy.deepcopy(q_two)
    q_three.update(id="q_three", title="Is it monitored?")
    q_three["choices"][3]["id"] = "q_three_no"
    doc["pillars"][1]["questions"] = [q_three]
    doc["pillars"][1]["name"] = "Two, renamed"
    q_two["riskRules"][:2] = q_two["riskRules"][1::-1]  # first match wins, so the order is a change
    return doc


def test_diff_of_a_lens_with_itself_is_empty_whatever_the_spelling_of_conditions() -> None:
    doc = aws_doc()
    respelt = copy.deepcopy(doc)
    respelt["pillars"][0]["questions"][0]["riskRules"][0]["condition"] = "(alpha)&&beta"
    result = lensfile_compare(load_aws(doc), load_aws(respelt))
    assert result.is_empty
    assert result.counts == dict.fromkeys(result.counts, 0)


def test_diff_names_questions_choices_and_rules_added_removed_and_changed_with_text() -> None:
    before, after = load_aws(aws_doc()), load_aws(changed_doc())
    result = lensfile_compare(before, after)
    assert result.counts == {
        "questions_added": 1,
        "questions_removed": 0,
        "questions_changed": 2,
        "choices_added": 1,
        "choices_removed": 1,
        "choices_changed": 2,
        "rules_added": 0,
        "rules_removed": 1,
        "rules_changed": 1,
    }
    assert [(q.id, q.title, q.pillar_name) for q in result.questions_added] == [
        ("q_three", "Is it monitored?", "Two, renamed")
    ]
    assert [(p.id, [(c.before, c.after) for c in p.changes]) for p in result.pillars_changed] == [
        ("pillar_two", [("Two", "Two, renamed")])
    ]
    q_one = result.changed_question("q_one")
    assert q_one is not None
    assert [(c.field, c.before, c.after) for c in q_one.changes] == [
        ("title", "Is it ready?", "Is it ready for launch?")
    ]
    assert [(c.id, c.title) for c in q_one.choices_added] == [("delta", "Delta")]
    assert [(c.id, c.title) for c in q_one.choices_removed] == [("beta", "Beta")]
    assert [(c.id, [(f.field, f.before, f.after) for f in c.changes]) for c in q_one.choices_changed] == [
        ("alpha", [("improvement_plan", "Do alpha.", "Do alpha. <https://x.test/alpha>")]),
        ("gamma", [("description", "", "Gamma, explained.")]),
    ]
    assert [(r.risk, r.condition) for r in q_one.rules_removed] == [("NO_RISK", "alpha && beta")]
    assert [(r.risk, r.before, r.after) for r in q_one.rules_changed] == [("MEDIUM_RISK", "gamma", "gamma || delta")]
    q_two = result.changed_question("q_two")
    assert q_two is not None
    assert [(c.field, c.before, c.after, c.label) for c in q_two.changes] == [
        ("pillar", "Two", "One", "Pillar"),
        ("rule_order", "NO_RISK, MEDIUM_RISK, HIGH_RISK", "MEDIUM_RISK, NO_RISK, HIGH_RISK", "Order of risk rules"),
    ]
    assert q_two.rules_changed == ()
    assert result.changed_question("q_three") is None
    reverse = lensfile_compare(after, before)
    assert [q.id for q in reverse.questions_removed] == ["q_three"]
    assert [(r.risk, r.condition) for r in reverse.changed_question("q_one").rules_added] == [
        ("NO_RISK", "alpha && beta")
    ]  # type: ignore[union-attr]


def test_diff_works_on_stored_documents_and_serialises_to_json() -> None:
    before, after = load_aws(aws_doc()), load_aws(changed_doc())
    stored_before = json.loads(json.dumps(before.to_dict()))
    stored_after = json.loads(json.dumps(after.to_dict()))
    result = diff_documents(stored_before, stored_after)
    assert result == lensfile_compare(before, after)
    assert json.loads(json.dumps(result.to_dict()))["questions_added"][0]["id"] == "q_three"


@pytest.mark.parametrize(
    ("name", "text"),
    [("deep.json", "[" * 10_000 + "]" * 10_000), ("deep.yaml", "a: " + "[" * 10_000 + "]" * 10_000)],
)
def test_a_lens_nested_thousands_deep_is_refused_not_a_crash(name: str, text: str) -> None:
    with pytest.raises(LensFormatError) as exc:
        load_with_warnings(text, filename=name)
    assert [str(issue) for issue in exc.value.errors] == ["nested too deeply to be a lens"]
