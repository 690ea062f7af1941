"""The import API and the import command hold each record to the text limits, each file to the file limit,
and refuse YAML aliases and oversized front matter in Markdown files."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from learning.models import LibraryEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LIMIT_SECTION_CHARS = 100
    settings.LIMIT_POSTMORTEM_CHARS = 250


def record(key, **fields):
    return json.dumps({"id": key, "title": f"Record {key}", "date": "2024-02-02", "team": "payments", **fields})


def post(client, name, text):
    files = [SimpleUploadedFile(name, text.encode())]
    return client.post("/api/v1/library/import/", {"files": files}, format="multipart")


def run_import(*paths):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_postmortems", *map(str, paths), stdout=out, stderr=err)
        failed = None
    except CommandError as exc:
        failed = str(exc)
    return err.getvalue(), failed


LINES = "\n".join(
    [
        record("ok", summary="Fine."),
        record("long", summary="s" * 101),
        record("huge", summary="a" * 100, lessons="b" * 100, body="## Impact\n\n" + "c" * 90),
    ]
)


def test_api_refuses_records_over_a_section_or_the_postmortem_and_imports_the_rest(api_as, teammate, team):
    response = post(api_as(teammate), "batch.jsonl", LINES)
    assert response.status_code == 200
    refused = {(r["line"], r["message"]) for r in response.json()["refused"]}
    assert refused == {
        (2, "summary: This text is 101 characters long; the limit is 100."),
        (3, "The postmortem is 290 characters long in all; the limit is 250. Shorten some sections."),
    }
    assert list(LibraryEntry.objects.values_list("title", flat=True)) == ["Record ok"]


def test_command_holds_records_and_files_to_the_same_limits(tmp_path, team, settings):
    (tmp_path / "batch.jsonl").write_text(LINES)
    err, failed = run_import(tmp_path / "batch.jsonl")
    assert failed == "2 record(s) refused; see the lines above."
    assert "batch.jsonl:2: summary: This text is 101 characters long" in err
    assert list(LibraryEntry.objects.values_list("title", flat=True)) == ["Record ok"]
    settings.LIMIT_IMPORT_FILE_BYTES = 50
    (tmp_path / "big.jsonl").write_text(record("big"))
    err, failed = run_import(tmp_path / "big.jsonl")
    assert failed and "big.jsonl: the file is 78 bytes; the limit is 50 per file" in err
    assert not LibraryEntry.objects.filter(title="Record big").exists()


BOMB_FRONT = "---\na: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\ntitle: *b\n---\n\nBody.\n"


def test_front_matter_aliases_are_refused_on_both_paths(api_as, teammate, team, tmp_path):
    response = post(api_as(teammate), "bomb.md", BOMB_FRONT)
    assert response.json()["refused"] == [
        {
            "file": "bomb.md",
            "line": 2,
            "message": "front matter is not valid YAML: anchors and aliases (&name, *name) are not allowed",
        }
    ]
    (tmp_path / "bomb.md").write_text(BOMB_FRONT)
    err, failed = run_import(tmp_path / "bomb.md")
    assert failed and "anchors and aliases" in err
    assert not LibraryEntry.objects.exists()


def test_oversized_front_matter_is_refused_unread(api_as, teammate, team):
    text = "---\ntitle: x\nnote: " + "y" * 70_000 + "\n---\n\nBody.\n"
    refused = post(api_as(teammate), "long.md", text).json()["refused"]
    assert refused[0]["message"] == "front matter is over 65,536 characters; put long text below it"
