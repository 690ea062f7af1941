"""The full JSON Lines export restores into an empty instance record for record, and a bad file is refused
with the line that is wrong and nothing changed."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from incidents.defaults import ensure_factor_categories, ensure_severities
from incidents.models import ActionItem, Incident, Postmortem
from learning.models import LibraryEntry
from opsx import export
from reviews.models import Answer, Review
from teams.models import Team, User

pytestmark = pytest.mark.django_db


def _export() -> list[str]:
    out = io.StringIO()
    export.export(out)
    return out.getvalue().splitlines()


def _empty_instance() -> None:
    """What a freshly migrated database holds: no records, only the migrations' reference rows."""
    tables = [export._model(label)._meta.db_table for label in export.MODELS]
    tables += ["learning_entryfacet", "notifications_notification", "teams_apitoken", "incidents_idempotencykey"]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks, or TRUNCATE refuses
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    ensure_severities()
    ensure_factor_categories()


@pytest.fixture
def demo(tmp_path):
    call_command("seed_demo", "--i-understand-this-is-not-production", stdout=io.StringIO())
    return tmp_path


def test_export_then_import_into_an_empty_instance_gives_the_same_records(demo):
    some = Incident.objects.order_by("pk").first()
    Incident.objects.filter(pk=some.pk).update(started_at=some.started_at.replace(microsecond=456))
    first = _export()
    header = json.loads(first[0])
    assert header["format"] == "opsx-export" and header["counts"]["incidents.incident"] > 3
    assert all(header["counts"][label] for label in ("teams.team", "reviews.answer", "incidents.postmortem"))
    path = demo / "opsx.jsonl"
    path.write_text("\n".join(first) + "\n")
    assert not any('"password"' in line for line in first)  # no password hashes leave the instance

    _empty_instance()
    assert not Incident.objects.exists()
    call_command("import_data", str(path), stdout=io.StringIO())

    assert _export()[1:] == first[1:]  # record for record, field for field
    assert Incident.objects.get(pk=some.pk).started_at.microsecond == 456  # times keep their microseconds
    assert LibraryEntry.objects.exclude(search_vector=None).count() == header["counts"]["learning.libraryentry"]
    assert not User.objects.get(username="alice").has_usable_password()
    # New records continue after the imported ids.
    team = Team.objects.create(name="New team", slug="new-team")
    assert team.pk > max(json.loads(line)["pk"] for line in first[1:] if '"model": "teams.team"' in line)


def _write(tmp_path, lines):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _counts():
    return [m.objects.count() for m in (User, Team, Incident, Postmortem, Review, Answer, ActionItem)]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: ["{not json"] + lines[1:], "line 1: not an opsx export"),
        (lambda lines: lines[:5] + ["{oops"] + lines[5:], "line 6: not valid JSON"),
        (lambda lines: lines[:-3], "The header promises"),
        (lambda lines: [lines[0].replace('"version": 1', '"version": 9')] + lines[1:], "version 9"),
        (lambda lines: lines + ['{"model": "teams.apitoken", "pk": 1, "fields": {}}'], "unknown model"),
    ],
    ids=["no header", "bad json", "truncated", "version", "unknown model"],
)
def test_a_bad_file_is_refused_and_changes_nothing(demo, damage, message):
    lines = _export()
    _empty_instance()
    before = _counts()
    with pytest.raises(CommandError, match=message) as refused:
        call_command("import_data", str(_write(demo, damage(lines))))
    assert "Nothing was imported" in str(refused.value)
    assert _counts() == before


def test_a_bad_value_names_its_line_and_field_and_changes_nothing(demo):
    lines = _export()
    number = next(i for i, line in enumerate(lines) if '"model": "incidents.incident"' in line)
    record = json.loads(lines[number])
    record["fields"]["status"] = "exploded"
    lines[number] = json.dumps(record)
    _empty_instance()
    before = _counts()
    with pytest.raises(CommandError, match=rf"line {number + 1} \(incidents.incident {record['pk']}\): status"):
        call_command("import_data", str(_write(demo, lines)))
    assert _counts() == before


def test_a_broken_reference_is_refused(demo):
    lines = _export()
    number = next(i for i, line in enumerate(lines) if '"model": "teams.system"' in line)
    record = json.loads(lines[number])
    record["fields"]["team"] = 999_999
    lines[number] = json.dumps(record)
    _empty_instance()
    with pytest.raises(CommandError, match="points to one that is not in the file|line"):
        call_command("import_data", str(_write(demo, lines)))
    assert not Team.objects.exists()


def test_an_instance_with_records_is_refused(demo):
    path = demo / "opsx.jsonl"
    path.write_text("\n".join(_export()) + "\n")
    before = _counts()
    with pytest.raises(CommandError, match="not empty"):
        call_command("import_data", str(path))
    assert _counts() == before
