"""The postmortem file formats (pure parsing; the import into the database is tested elsewhere)."""

import datetime as dt

from learning.postmortemfile import (
    PostmortemRecord,
    RecordError,
    dump_jsonl_line,
    dump_markdown,
    read_path,
    read_text,
)

GOOD = """---
id: acme-2024-db-failover
title: Database failover took 40 minutes
date: 2024-03-12
team: payments
services: [checkout-api, payouts]
severity: SEV2
tags: [database, failover]
categories: [dependency, detection gap]
source_url: https://status.example.com/incidents/123
summary: The primary database failed over, and clients kept their stale connections.
lessons: Test failover under load every quarter.
---

## What happened

Connections pinned to the old primary.
"""


def test_markdown_with_front_matter():
    [record] = list(read_text(GOOD, "a.md"))
    assert isinstance(record, PostmortemRecord)
    assert record.key == "acme-2024-db-failover"
    assert record.date == dt.date(2024, 3, 12)
    assert record.services == ("checkout-api", "payouts")
    assert record.severity == 2
    assert record.categories == ("dependency", "detection gap")
    assert record.body.startswith("## What happened")
    assert record.lessons == "Test failover under load every quarter."


def test_key_falls_back_to_source_url_then_title_and_date():
    no_id = GOOD.replace("id: acme-2024-db-failover\n", "")
    [record] = list(read_text(no_id, "a.md"))
    assert record.key == "url:https://status.example.com/incidents/123"
    bare = no_id.replace("source_url: https://status.example.com/incidents/123\n", "")
    [record] = list(read_text(bare, "a.md"))
    assert record.key == "2024-03-12-database-failover-took-40-minutes"


def test_errors_name_the_file_and_line():
    bad = GOOD.replace("severity: SEV2", "severity: critical")
    [error] = list(read_text(bad, "posts/bad.md"))
    assert isinstance(error, RecordError)
    assert str(error) == "posts/bad.md:7: severity: expected SEV1..SEV5 (or 1..5), got 'critical'"


def test_missing_front_matter_and_bad_yaml():
    [error] = list(read_text("# just a heading\n", "x.md"))
    assert str(error) == "x.md:1: expected YAML front matter starting with '---' on the first line"
    [error] = list(read_text("---\ntitle: [unclosed\n---\n", "y.md"))
    assert error.file == "y.md" and "not valid YAML" in error.message


def test_jsonl_reports_bad_lines_and_keeps_good_ones():
    text = "\n".join([
        '{"title": "One", "date": "2024-01-01", "team": "search"}',
        "",
        '{"title": "Two", "date": "not a date"}',
        "{broken",
        '{"title": "Three", "date": "2024-02-02T10:00:00Z", "tags": "a, b", "colour": "red"}',
        '{"title": "Four", "date": "2024-02-03", "severity": 5}',
    ])  # fmt: skip
    results = list(read_text(text, "x.jsonl"))
    assert [type(r).__name__ for r in results] == [
        "PostmortemRecord",
        "RecordError",
        "RecordError",
        "RecordError",
        "PostmortemRecord",
    ]
    assert str(results[1]) == "x.jsonl:3: date: expected YYYY-MM-DD, got 'not a date'"
    assert str(results[2]).startswith("x.jsonl:4: invalid JSON")
    assert str(results[3]).startswith("x.jsonl:5: unknown field 'colour'")
    assert results[4].severity == 5


def test_round_trip_markdown_and_jsonl(tmp_path):
    [record] = list(read_text(GOOD, "a.md"))
    (tmp_path / "a.md").write_text(dump_markdown(record))
    (tmp_path / "all.jsonl").write_text(dump_jsonl_line(record) + "\n")
    again = list(read_path(tmp_path))
    assert again == [record, record]


def test_title_is_required_and_bounded():
    [error] = list(read_text('{"date": "2024-01-01"}', "t.jsonl"))
    assert error.message == "title: required"
    [error] = list(read_text('{"title": "' + "x" * 201 + '", "date": "2024-01-01"}', "t.jsonl"))
    assert error.message == "title: at most 200 characters (got 201)"
