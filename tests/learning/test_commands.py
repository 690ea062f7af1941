"""import_postmortems / export_postmortems: valid files, bad records with their line, idempotent
re-import, options for unknown names, and a round trip through export."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Incident, Postmortem, Tag
from learning import selectors
from learning.models import ExternalSource, LibraryEntry
from teams.models import Team

pytestmark = pytest.mark.django_db

MARKDOWN = """---
id: acme-db-failover
title: Database failover took 40 minutes
date: 2024-03-12
team: payments
services: [checkout-api]
severity: SEV2
tags: [database, failover]
categories: [dependency, detection gap]
source_url: https://status.example.com/incidents/123
summary: The primary database failed over and clients kept stale connections.
lessons: Test failover under load every quarter.
---

Connection pools held connections to the old primary for forty minutes.

## Detection

Alerts fired on error rate, not on failover events.
"""

JSONL_LINES = [
    {"id": "ext-1", "title": "CDN purge storm", "date": "2023-05-01", "organization": "Example Corp",
     "summary": "A purge of every object overloaded the origin.", "tags": ["cdn"]},
    {"id": "ext-2", "title": "Expired certificate", "date": "2023-06-02", "team": "payments", "severity": "SEV3",
     "summary": "An intermediate certificate expired.", "categories": ["configuration"]},
]  # fmt: skip


def run_import(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_postmortems", *map(str, args), stdout=out, stderr=err)
        failed = None
    except CommandError as exc:
        failed = str(exc)
    return out.getvalue(), err.getvalue(), failed


@pytest.fixture
def files(tmp_path, team, checkout):
    (tmp_path / "acme.md").write_text(MARKDOWN)
    (tmp_path / "more.jsonl").write_text("\n".join(json.dumps(line) for line in JSONL_LINES) + "\n")
    return tmp_path


def test_import_creates_published_searchable_postmortems(files, teammate):
    out, err, failed = run_import(files, "--team", "payments")
    assert failed is None, err
    assert "3 created, 0 updated, 0 refused" in out
    entry = LibraryEntry.objects.get(title="Database failover took 40 minutes")
    incident = entry.incident
    assert incident.external_id == "import:acme-db-failover"
    assert [s.slug for s in incident.services.all()] == ["checkout-api"]
    assert sorted(t.name for t in incident.tags.all()) == ["database", "failover"]
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.status == Postmortem.Status.PUBLISHED
    assert "Alerts fired on error rate" in postmortem.detection
    assert "Connection pools held" in postmortem.timeline
    assert {f["category"] for f in postmortem.factors} == {"dependency", "detection-gap"}
    assert ExternalSource.objects.get(incident=incident).source_url == "https://status.example.com/incidents/123"
    outside = LibraryEntry.objects.get(title="CDN purge storm")
    assert outside.team.slug == "payments" and outside.organization == "Example Corp"
    assert outside.severity_level == 3
    assert [e.title for e in selectors.library_search(user=teammate, q="stale connections")] == [entry.title]


def test_reimport_updates_instead_of_duplicating(files):
    run_import(files, "--team", "payments")
    (files / "acme.md").write_text(MARKDOWN.replace("every quarter", "every month"))
    out, _err, failed = run_import(files, "--team", "payments")
    assert failed is None
    assert "0 created, 3 updated, 0 refused" in out
    assert Incident.objects.filter(external_id="import:acme-db-failover").count() == 1
    assert Postmortem.objects.get(incident__external_id="import:acme-db-failover").lessons.endswith("every month.")
    assert LibraryEntry.objects.count() == 3


def test_bad_records_are_reported_with_file_and_line_and_skipped(tmp_path, team):
    lines = [
        json.dumps({"id": "good", "title": "Good one", "date": "2024-01-01", "team": "payments"}),
        "{not json",
        json.dumps({"id": "no-date", "title": "Missing date", "team": "payments"}),
        json.dumps({"id": "who", "title": "Unknown team", "date": "2024-01-02", "team": "nobody"}),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out, err, failed = run_import(path)
    assert "1 created, 0 updated, 3 refused" in out
    assert failed is not None and "3 record(s) refused" in failed
    assert f"{path}:2: invalid JSON" in err
    assert f"{path}:3: date: required" in err
    assert f"{path}:4: unknown team 'nobody'" in err
    assert list(LibraryEntry.objects.values_list("title", flat=True)) == ["Good one"]


def test_unknown_names_follow_the_options(tmp_path, team):
    record = {"id": "x", "title": "Mapped", "date": "2024-01-01", "team": "pay", "tags": ["Brand New"],
              "categories": ["gremlins"], "services": ["ghost"]}  # fmt: skip
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(record) + "\n")
    _out, err, failed = run_import(path, "--map-team", "pay=payments")
    assert failed and "unknown contributing-factor category 'gremlins'" in err
    _out, err, failed = run_import(
        path, "--map-team", "pay=payments", "--unknown-categories", "skip", "--unknown-tags", "refuse"
    )
    assert failed and "unknown tag 'Brand New'" in err
    _out, err, failed = run_import(
        path, "--map-team", "pay=payments", "--map-category", "gremlins=software-defect", "--unknown-services", "create"
    )
    assert failed is None, err
    incident = Incident.objects.get(external_id="import:x")
    assert incident.team == team
    assert Tag.objects.filter(name="brand-new").exists()
    assert incident.services.get().slug == "ghost"
    assert incident.postmortem.factors[0]["category"] == "software-defect"


def test_unknown_team_can_be_created(tmp_path, db):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"title": "New team", "date": "2024-01-01", "team": "Data Platform"}) + "\n")
    _out, _err, failed = run_import(path, "--unknown-teams", "create")
    assert failed is None
    assert Team.objects.filter(slug="data-platform", name="Data Platform").exists()


def test_imported_dates_keep_no_time_of_day_and_no_time_to_x(files, client_as, teammate):
    run_import(files, "--team", "payments")
    incident = Incident.objects.get(external_id="import:acme-db-failover")
    assert incident.date_only_times == ["started_at", "resolved_at"]
    assert f"{incident.started_at:%Y-%m-%d}" == "2024-03-12" and incident.time_to_resolve is None
    body = client_as(teammate).get(incident.get_absolute_url()).content.decode()
    assert "2024-03-12 00:00" not in body and "(time of day unknown)" in body


def test_reimport_keeps_a_start_time_entered_since(files, owner):
    from incidents import services as incident_services

    run_import(files, "--team", "payments")
    incident = Incident.objects.get(external_id="import:acme-db-failover")
    exact = incident.started_at.replace(hour=9, minute=30)
    incident = incident_services.incident_update(
        incident=incident, actor=owner, data={"started_at": exact}, expected_version=incident.version
    )
    assert incident.date_only_times == ["resolved_at"]
    (files / "acme.md").write_text(MARKDOWN.replace("every quarter", "every month"))
    run_import(files, "--team", "payments")
    incident.refresh_from_db()
    assert incident.started_at == exact and incident.date_only_times == ["resolved_at"]


def test_a_record_with_only_an_organization_goes_to_the_default_team_with_a_warning(tmp_path, team):
    path = tmp_path / "outside.jsonl"
    path.write_text(json.dumps(JSONL_LINES[0]) + "\n")
    out, err, failed = run_import(path, "--team", "payments")
    assert failed is None and "1 created, 0 updated, 0 refused, 1 with warnings" in out
    assert f"{path}:1: warning: organization 'Example Corp' imported into the default team 'payments'" in err
    assert Incident.objects.get(external_id="import:ext-1").team == team


def test_a_record_with_only_an_organization_follows_the_team_map(tmp_path, team):
    path = tmp_path / "outside.jsonl"
    path.write_text(json.dumps(JSONL_LINES[0]) + "\n")
    out, err, failed = run_import(path, "--map-team", "Example Corp=payments")
    assert failed is None and "warning" not in err, err
    assert Incident.objects.get(external_id="import:ext-1").team == team


def test_a_record_with_only_an_organization_and_nowhere_to_go_says_what_to_give(tmp_path, team):
    path = tmp_path / "outside.jsonl"
    path.write_text(json.dumps(JSONL_LINES[0]) + "\n")
    _out, err, failed = run_import(path)
    assert failed and "no team" not in err
    assert "organization 'Example Corp' is not a team here: give a default team or map it" in err
    assert not Incident.objects.exists()


def test_bad_options_fail_with_one_line(tmp_path, db):
    path = tmp_path / "one.jsonl"
    path.write_text("")
    with pytest.raises(CommandError, match="expected NAME=SLUG"):
        call_command("import_postmortems", str(path), "--map-tag", "nonsense")
    with pytest.raises(CommandError, match="no team with slug"):
        call_command("import_postmortems", str(path), "--team", "nope")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_postmortems", str(tmp_path / "missing.md"))


def export(*args):
    out = io.StringIO()
    call_command("export_postmortems", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_export_round_trips(files, make_entry, restricted_entry, tmp_path, checkout):
    run_import(files, "--team", "payments")
    make_entry(title="Native postmortem", services=(checkout,), categories=("capacity",), response="We scaled out.")
    first = export("--format", "jsonl")
    assert restricted_entry.title not in first, "restricted incidents stay out of exports"
    records = [json.loads(line) for line in first.splitlines()]
    assert {r["title"] for r in records} >= {"Database failover took 40 minutes", "Native postmortem"}

    dump = tmp_path / "export.jsonl"
    dump.write_text(first)
    count = Incident.objects.count()
    out, _err, failed = run_import(dump)
    assert failed is None and f"0 created, {len(records)} updated, 0 refused" in out
    assert Incident.objects.count() == count
    assert export("--format", "jsonl") == first

    markdown_dir = tmp_path / "md"
    export("--format", "markdown", "-o", str(markdown_dir))
    assert len(list(markdown_dir.glob("*.md"))) == len(records)
    Incident.objects.all().delete()
    out, _err, failed = run_import(markdown_dir)
    assert failed is None and f"{len(records)} created" in out
    assert export("--format", "jsonl").count("\n") == first.count("\n")
    reimported = {json.loads(line)["title"]: json.loads(line) for line in export("--format", "jsonl").splitlines()}
    for record in records:
        again = reimported[record["title"]]
        assert {k: v for k, v in again.items() if k != "id"} == {k: v for k, v in record.items() if k != "id"}


def test_export_markdown_needs_a_directory(db):
    with pytest.raises(CommandError, match="-o DIR"):
        call_command("export_postmortems", "--format", "markdown")
