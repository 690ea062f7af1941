"""Postmortems written elsewhere list their action items in a section; import makes them records."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from incidents.models import ActionItem, Postmortem
from learning import selectors
from learning.postmortemfile import extract_action_items, parse_due, parse_status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITE_UP = """---
id: acme-pool
title: Connection pool exhausted
date: 2024-03-12
team: payments
summary: The pool ran dry.
---

Requests queued behind a full pool.

## What went poorly

We alerted on errors, not on saturation.

## Action Items

- [ ] Alert on pool saturation above 80% (owner: @alice, due: 2024-04-01)
- [x] Roll back the pool size change — @bob
  It was reverted during the incident.
- Write a runbook for pool tuning (assignee: zed)
- Add load test (owner: charlie, due: next sprint)

## Detection

Found by a customer.
"""

TABLE = """---
id: acme-cdn
title: CDN purge storm
date: 2023-05-01
team: payments
---

### Follow-ups

| Task | Assignee | Due date | Status | Jira |
|------|----------|----------|--------|------|
| Rate-limit purges | Bob Okafor | 2023-06-01 | Done | https://jira.example.com/CDN-1 |
| Purge by tag only | | | Won't fix | |
| Tune origin shield | alice | 2023-06-10 | In progress | not a link |
"""


def run_import(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_postmortems", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def people(team, owner, teammate, outsider):
    """alice (lead) and bob (member) of Payments; charlie belongs to another team."""
    owner.first_name, owner.last_name = "Alice", "Nguyen"
    owner.save()
    teammate.first_name, teammate.last_name = "Bob", "Okafor"
    teammate.save()
    return {"alice": owner, "bob": teammate, "charlie": outsider}


def test_a_list_section_becomes_action_items_linked_to_the_postmortem(tmp_path, people):
    path = tmp_path / "pool.md"
    path.write_text(WRITE_UP)
    out, err = run_import(path)
    assert "1 created" in out
    postmortem = Postmortem.objects.get(incident__external_id="import:acme-pool")
    items = {i.title: i for i in ActionItem.objects.filter(incident=postmortem.incident)}
    assert set(items) == {
        "Alert on pool saturation above 80%",
        "Roll back the pool size change",
        "Write a runbook for pool tuning",
        "Add load test",
    }
    alert = items["Alert on pool saturation above 80%"]
    assert (alert.owner, alert.due_date, alert.status) == (people["alice"], dt.date(2024, 4, 1), "open")
    assert (alert.origin, alert.source, alert.team.slug) == ("postmortem", postmortem, "payments")
    rollback = items["Roll back the pool size change"]
    assert (rollback.owner, rollback.status) == (people["bob"], "done")
    assert rollback.description == "It was reverted during the incident." and rollback.completed_at
    runbook, load = items["Write a runbook for pool tuning"], items["Add load test"]
    assert (runbook.owner, runbook.status, load.owner, load.due_date) == (None, "open", None, None)
    assert f"{path}:1: warning: action item 3 ('Write a runbook for pool tuning'): unknown owner 'zed'" in err
    assert "owner 'charlie' is not a member of Payments; left unassigned" in err
    assert "due date 'next sprint' is not a date" in err
    # The section is now records, not text; the rest of the body is where it was.
    assert "Alert on pool saturation" not in postmortem.went_poorly + postmortem.detection + postmortem.timeline
    assert "We alerted on errors" in postmortem.went_poorly and "Found by a customer." in postmortem.detection


def test_a_table_section_with_other_heading_and_column_names(tmp_path, people):
    path = tmp_path / "cdn.md"
    path.write_text(TABLE)
    _out, err = run_import(path)
    items = {i.title: i for i in ActionItem.objects.all()}
    purge = items["Rate-limit purges"]
    assert (purge.owner, purge.due_date, purge.status) == (people["bob"], dt.date(2023, 6, 1), "done")
    assert purge.tracker_url == "https://jira.example.com/CDN-1"
    assert items["Purge by tag only"].status == "wont_do" and items["Purge by tag only"].wont_do_reason
    shield = items["Tune origin shield"]
    assert (shield.owner, shield.status, shield.tracker_url) == (people["alice"], "in_progress", "")
    assert "ticket 'not a link' is not a link; left out" in err


def test_reimport_creates_no_duplicates_and_keeps_follow_up_done_in_opsx(tmp_path, people):
    path = tmp_path / "pool.md"
    path.write_text(WRITE_UP)
    run_import(path)
    alert = ActionItem.objects.get(title="Alert on pool saturation above 80%")
    alert.status = "done"
    alert.save()
    runbook = ActionItem.objects.get(title="Write a runbook for pool tuning")
    changed = WRITE_UP.replace("(assignee: zed)", "(assignee: bob, due: 2024-05-01, status: in progress)")
    changed = changed.replace("- Add load test", "- Add a load test")  # renamed: a new item
    path.write_text(changed)
    out, err = run_import(path)
    assert "0 created, 1 updated" in out
    assert ActionItem.objects.filter(title="Alert on pool saturation above 80%").count() == 1
    assert ActionItem.objects.get(pk=alert.pk).status == "done", "the file (still open) does not reopen it"
    runbook.refresh_from_db()
    assert (runbook.owner, runbook.due_date, runbook.status) == (people["bob"], dt.date(2024, 5, 1), "in_progress")
    assert ActionItem.objects.count() == 5 and ActionItem.objects.filter(title="Add load test").exists()
    run_import(path)
    assert ActionItem.objects.count() == 5


def test_export_writes_the_items_back_and_reimport_matches_them(tmp_path, people):
    path = tmp_path / "pool.md"
    path.write_text(WRITE_UP)
    run_import(path)
    record = next(r for r in selectors.export_records(user=None) if r.key == "acme-pool")
    assert "## Action items" in record.body
    assert "| Alert on pool saturation above 80% | alice | 2024-04-01 |" in record.body
    kept, lines = extract_action_items(record.body)
    assert len(lines) == 4 and "## Action items" not in kept
    out_file = tmp_path / "out.jsonl"
    out_file.write_text(json.dumps(record.to_dict()) + "\n")
    out, _err = run_import(out_file)
    assert "0 created, 1 updated" in out and ActionItem.objects.count() == 4


def test_api_import_reports_warnings(api_as, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("pool.md", WRITE_UP.encode())
    response = api_as(people["bob"]).post("/api/v1/library/import/", {"files": [upload]}, format="multipart")
    assert response.status_code == 200, response.json()
    messages = [w["message"] for w in response.json()["warnings"]]
    assert any("unknown owner 'zed'" in m for m in messages)
    assert ActionItem.objects.count() == 4


@pytest.mark.parametrize(
    "heading", ["## Action items", "# ACTION ITEMS", "### Follow-up actions", "## Corrective actions", "## Next steps"]
)
def test_heading_variants(heading):
    level = heading.split()[0]
    body, items = extract_action_items(f"Intro\n\n{heading}\n\n- Do the thing\n\n{level} Impact\n\nBad.")
    assert [i.title for i in items] == ["Do the thing"] and "Do the thing" not in body and "Bad." in body


def test_other_lists_are_not_action_items():
    body = "## What went well\n\n- Paging worked\n\n## Timeline\n\n- 10:00 alert"
    assert extract_action_items(body) == (body, [])


def test_small_parsers():
    assert parse_due("2024-04-01") == parse_due("April 1st, 2024") == parse_due("1 Apr 2024") == dt.date(2024, 4, 1)
    assert parse_due("soon") is None
    assert [parse_status(s) for s in ("Done", "won’t fix", "WIP", "todo", "???")] == [
        "done",
        "wont_do",
        "in_progress",
        "open",
        None,
    ]


def test_an_unknown_owner_name_that_matches_two_people_is_left_unassigned(tmp_path, people, team):
    from teams.models import Membership

    twin = UserFactory(username="alice2", first_name="Alice", last_name="Nguyen")
    Membership.objects.create(user=twin, team=team, role="member")
    path = tmp_path / "pool.md"
    path.write_text(WRITE_UP.replace("owner: @alice", "owner: Alice Nguyen"))
    _out, err = run_import(path)
    assert ActionItem.objects.get(title="Alert on pool saturation above 80%").owner is None
    assert "unknown owner 'Alice Nguyen'" in err
