"""Library API: search with facets, related, useful, follows, comments, import and export, per persona."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from learning.models import Follow, LessonComment, LibraryEntry

pytestmark = pytest.mark.django_db


def test_search_returns_ranked_results_snippets_and_facets(api_as, make_entry, teammate, checkout):
    title_hit = make_entry(title="Connection pool exhaustion", services=(checkout,), tags=("database",))
    body_hit = make_entry(title="Slow checkout", response="The connection pool was too small.")
    response = api_as(teammate).get("/api/v1/library/", {"q": "connection pool"})
    assert response.status_code == 200
    data = response.json()
    assert [r["id"] for r in data["results"]] == [title_hit.pk, body_hit.pk]
    assert data["results"][0]["rank"] >= data["results"][1]["rank"]
    assert "<mark>" in data["results"][1]["snippet"]
    assert {v["value"]: v["count"] for v in data["facets"]["service"]} == {"checkout-api": 1}
    narrowed = api_as(teammate).get("/api/v1/library/", {"q": "connection pool", "tag": "database"}).json()
    assert [r["id"] for r in narrowed["results"]] == [title_hit.pk]
    facets = api_as(teammate).get("/api/v1/library/facets/", {"q": "connection"}).json()
    assert sum(v["count"] for v in facets["team"]) == 2


def test_restricted_entry_is_excluded_everywhere_in_the_api(
    api_as, restricted_entry, make_entry, teammate, leader, owner
):
    other = make_entry(title="Database credentials rotation lag", tags=("security",))
    for user in (teammate, leader):
        client = api_as(user)
        listed = client.get("/api/v1/library/", {"q": "database"}).json()
        assert [r["id"] for r in listed["results"]] == [other.pk]
        assert {v["value"]: v["count"] for v in listed["facets"]["tag"]} == {"security": 1}
        assert client.get(f"/api/v1/library/{restricted_entry.pk}/").status_code == 404
        assert client.get(f"/api/v1/library/{restricted_entry.pk}/related/").status_code == 404
        assert client.post(f"/api/v1/library/{restricted_entry.pk}/useful/").status_code == 404
        related = client.get(f"/api/v1/library/{other.pk}/related/").json()
        assert restricted_entry.pk not in [r["entry"]["id"] for r in related]
        assert restricted_entry.title not in client.get("/api/v1/library/export/").getvalue().decode()
        response = client.post("/api/v1/library-comments/", {"entry": restricted_entry.pk, "body": "hi"})
        assert response.status_code == 400 and "entry" in response.json()["error"]["fields"]
    assert api_as(owner).get(f"/api/v1/library/{restricted_entry.pk}/").status_code == 200


def test_anonymous_gets_401(api, make_entry):
    entry = make_entry(title="Anything")
    for url in ("/api/v1/library/", f"/api/v1/library/{entry.pk}/", "/api/v1/follows/", "/api/v1/library/export/"):
        assert api.get(url).status_code == 401


def test_related_lists_reasons_best_first(api_as, make_entry, teammate, checkout):
    entry = make_entry(title="Checkout latency", services=(checkout,), tags=("database",), categories=("capacity",))
    strong = make_entry(title="Checkout errors", services=(checkout,), categories=("capacity",))
    weak = make_entry(title="Reporting lag", tags=("database",))
    data = api_as(teammate).get(f"/api/v1/library/{entry.pk}/related/").json()
    assert [r["entry"]["id"] for r in data][:2] == [strong.pk, weak.pk]
    assert any("same service: Checkout API" in reason for reason in data[0]["reasons"])


def test_useful_mark_and_unmark(api_as, make_entry, outsider):
    entry = make_entry(title="Mark me")
    client = api_as(outsider)
    assert client.post(f"/api/v1/library/{entry.pk}/useful/").json() == {"useful": True, "useful_count": 1}
    assert client.post(f"/api/v1/library/{entry.pk}/useful/").json()["useful_count"] == 1
    assert client.delete(f"/api/v1/library/{entry.pk}/useful/").json() == {"useful": False, "useful_count": 0}


def test_follows_are_private_and_feed_for_you(api_as, make_entry, teammate, outsider, checkout):
    entry = make_entry(title="Checkout deploy", services=(checkout,))
    make_entry(title="Unrelated")
    client = api_as(outsider)
    response = client.post("/api/v1/follows/", {"kind": "service", "value": "checkout-api"})
    assert response.status_code == 201 and response.json()["label"] == "Checkout API"
    assert client.post("/api/v1/follows/", {"kind": "service", "value": "checkout-api"}).status_code == 201
    assert Follow.objects.filter(user=outsider).count() == 1
    bad = client.post("/api/v1/follows/", {"kind": "service", "value": "no-such-service"})
    assert bad.status_code == 400 and "value" in bad.json()["error"]["fields"]
    assert [r["id"] for r in client.get("/api/v1/follows/for-you/").json()["results"]] == [entry.pk]
    follow = Follow.objects.get(user=outsider)
    assert api_as(teammate).get("/api/v1/follows/").json()["results"] == []
    assert api_as(teammate).delete(f"/api/v1/follows/{follow.pk}/").status_code == 404
    assert client.delete(f"/api/v1/follows/{follow.pk}/").status_code == 204


def test_comments_create_list_and_delete_permissions(api_as, make_entry, outsider, teammate, owner):
    entry = make_entry(title="Discuss")
    response = api_as(outsider).post("/api/v1/library-comments/", {"entry": entry.pk, "body": "Same here."})
    assert response.status_code == 201
    comment_id = response.json()["id"]
    listed = api_as(teammate).get("/api/v1/library-comments/", {"entry": entry.pk}).json()["results"]
    assert [c["body"] for c in listed] == ["Same here."]
    assert api_as(outsider).post("/api/v1/library-comments/", {"entry": entry.pk, "body": ""}).status_code == 400
    assert api_as(teammate).delete(f"/api/v1/library-comments/{comment_id}/").status_code == 403
    assert api_as(owner).delete(f"/api/v1/library-comments/{comment_id}/").status_code == 204, "leads moderate"
    assert not LessonComment.objects.exists()
    entry.refresh_from_db()
    assert entry.comment_count == 0


def upload(name, text):
    return SimpleUploadedFile(name, text.encode(), content_type="application/octet-stream")


def test_import_upload_creates_and_reports_refusals(api_as, teammate, team):
    lines = [
        json.dumps({"id": "api-1", "title": "Imported through the API", "date": "2024-02-02", "team": "payments"}),
        json.dumps({"id": "api-2", "title": "No date", "team": "payments"}),
    ]
    response = api_as(teammate).post(
        "/api/v1/library/import/", {"files": [upload("batch.jsonl", "\n".join(lines))]}, format="multipart"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["created"], data["updated"]) == (1, 0)
    assert data["refused"] == [{"file": "batch.jsonl", "line": 2, "message": "date: required"}]
    assert LibraryEntry.objects.filter(title="Imported through the API").exists()
    again = api_as(teammate).post(
        "/api/v1/library/import/", {"files": [upload("batch.jsonl", lines[0])]}, format="multipart"
    )
    assert again.json()["updated"] == 1 and LibraryEntry.objects.count() == 1


def test_import_upload_reports_warnings_for_organization_only_records(api_as, teammate, team):
    record = json.dumps({"id": "ext", "title": "CDN storm", "date": "2023-05-01", "organization": "Example Corp"})
    data = (
        api_as(teammate)
        .post("/api/v1/library/import/", {"files": [upload("a.jsonl", record)], "team": "payments"}, format="multipart")
        .json()
    )
    assert (data["created"], data["refused"]) == (1, [])
    assert data["warnings"] == [
        {
            "file": "a.jsonl",
            "line": 1,
            "message": "organization 'Example Corp' imported into the default team 'payments'",
        }
    ]


def test_import_upload_holds_users_to_their_teams(api_as, outsider, team, admin_user):
    record = json.dumps({"id": "x", "title": "Someone else's", "date": "2024-02-02", "team": "payments"})
    data = api_as(outsider).post("/api/v1/library/import/", {"files": [upload("a.jsonl", record)]}, format="multipart")
    assert data.status_code == 200
    assert data.json()["refused"][0]["message"] == "you may not add postmortems for team 'payments'"
    new_team = json.dumps({"id": "y", "title": "New team", "date": "2024-02-02", "team": "Data"})
    refused = api_as(outsider).post(
        "/api/v1/library/import/",
        {"files": [upload("b.jsonl", new_team)], "unknown_teams": "create"},
        format="multipart",
    )
    assert "only admins may create teams" in refused.json()["refused"][0]["message"]
    allowed = api_as(admin_user).post(
        "/api/v1/library/import/",
        {"files": [upload("b.jsonl", new_team)], "unknown_teams": "create"},
        format="multipart",
    )
    assert allowed.json()["created"] == 1


def test_import_upload_rejects_bad_input_with_field_messages(api_as, teammate):
    response = api_as(teammate).post(
        "/api/v1/library/import/",
        {"files": [upload("a.jsonl", "")], "unknown_tags": "explode", "map_tag": "nonsense", "team": "nope"},
        format="multipart",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "unknown_tags" in fields
    missing = api_as(teammate).post("/api/v1/library/import/", {}, format="multipart")
    assert missing.status_code == 400 and "files" in missing.json()["error"]["fields"]


def test_export_is_jsonl_that_imports_back(api_as, make_entry, teammate):
    make_entry(title="Exported one", tags=("dns",))
    response = api_as(teammate).get("/api/v1/library/export/", {"tag": "dns"})
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    lines = response.getvalue().decode().splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["Exported one"]
    again = api_as(teammate).post(
        "/api/v1/library/import/", {"files": [upload("export.jsonl", "\n".join(lines))]}, format="multipart"
    )
    assert again.json()["updated"] == 1 and LibraryEntry.objects.count() == 1


def test_export_markdown_is_a_zip_that_imports_back(api_as, make_entry, restricted_entry, teammate):
    import io
    import zipfile

    make_entry(title="Exported one", tags=("dns",))
    make_entry(title="Exported one", tags=("dns",), summary="Same title, another incident.")
    response = api_as(teammate).get("/api/v1/library/export/", {"fmt": "markdown"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert len(names) == 2 and len(set(names)) == 2, "names are unique within the export"
    texts = [archive.read(name).decode() for name in names]
    assert all(text.startswith("---\n") and "title: Exported one" in text for text in texts)
    assert not any("Leaked database credentials" in text for text in texts), "restricted stays out"
    again = api_as(teammate).post(
        "/api/v1/library/import/",
        {"files": [upload(name, text) for name, text in zip(names, texts, strict=True)]},
        format="multipart",
    )
    assert again.json()["updated"] == 2 and again.json()["created"] == 0


def test_export_refuses_an_unknown_format(api_as, teammate):
    response = api_as(teammate).get("/api/v1/library/export/", {"fmt": "pdf"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"fmt": ["Unknown format 'pdf': use jsonl or markdown."]}


@pytest.mark.parametrize("rows", [5, 50])
def test_list_runs_a_fixed_number_of_queries(api_as, client_as, team, teammate, django_assert_num_queries, rows):
    from tests.factories import SystemFactory, published_postmortem

    service = SystemFactory(team=team)
    for i in range(rows):
        published_postmortem(team=team, title=f"Database incident {i}", services=(service,), tags=("database",))
    client = api_as(teammate)
    # count, page of ids, rows of the page, facets, snippets: one each on any page size
    with django_assert_num_queries(5):
        response = client.get("/api/v1/library/", {"q": "database", "page_size": 50})
    assert len(response.json()["results"]) == rows
    browser = client_as(teammate)
    browser.get("/library/")  # warm the session
    # session, user, then count, page of ids, rows, facets, snippets, "already read" marks, unread notifications
    with django_assert_num_queries(9):
        page = browser.get("/library/", {"q": "database"})
    assert page.content.decode().count('class="library-result"') == min(rows, 20)


def test_most_read_endpoint_is_for_leadership(api_as, make_entry, teammate, leader, restricted_entry, owner):
    from learning import services

    entry = make_entry(title="Often read")
    services.entry_record_read(entry=entry, user=teammate)
    services.entry_record_read(entry=restricted_entry, user=owner)
    assert api_as(teammate).get("/api/v1/library/most-read/").status_code == 403
    data = api_as(leader).get("/api/v1/library/most-read/").json()
    assert [(r["id"], r["read_count"]) for r in data["results"]] == [(entry.pk, 1)]
