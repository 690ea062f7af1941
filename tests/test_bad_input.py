"""Bad input gets a 4xx in the API's error shape (the 400 page on pages), never a 500 and never a hint.

NUL bytes in query parameters, JSON nested 10,000 deep, more files than Django accepts, unknown API
paths (also with DEBUG on), and the limits of the import upload.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from learning.models import LibraryEntry
from tests.routes import api_routes

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
NUL_ERROR = ["Null characters are not allowed."]
LIBRARY_PARAMETERS = ["q", "tag", "team", "service", "category"]
LIBRARY_API = ["/api/v1/library/", "/api/v1/library/facets/", "/api/v1/library/export/"]


def _invalid(fields: dict) -> dict:
    return {"error": {"status": 400, "code": "invalid", "message": "Invalid input.", "fields": fields}}


# --- NUL bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("parameter", LIBRARY_PARAMETERS)
@pytest.mark.parametrize("url", LIBRARY_API)
def test_nul_in_a_library_api_parameter_is_a_400_naming_it(api_as, teammate, url, parameter):
    response = api_as(teammate).get(url, {parameter: NUL})
    assert response.status_code == 400
    assert response.json() == _invalid({parameter: NUL_ERROR})


@pytest.mark.parametrize("parameter", LIBRARY_PARAMETERS)
def test_nul_in_a_library_markdown_export_parameter_is_a_400(api_as, teammate, parameter):
    response = api_as(teammate).get("/api/v1/library/export/", {"fmt": "markdown", parameter: NUL})
    assert response.status_code == 400 and response.json() == _invalid({parameter: NUL_ERROR})


@pytest.mark.parametrize("parameter", LIBRARY_PARAMETERS)
@pytest.mark.parametrize("htmx", [False, True])
def test_nul_in_a_library_page_parameter_is_the_400_page(client_as, teammate, parameter, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_as(teammate).get("/library/", {parameter: NUL, "page": "1"}, headers=headers)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bad request" in page and f"<code>{parameter}</code>: Null characters are not allowed." in page
    assert 'href="/library/"' in page, "a way back to the page without the bad parameter"


def test_every_parameter_with_a_nul_is_named_and_valid_ones_are_not(api_as, teammate):
    response = api_as(teammate).get("/api/v1/library/", {"q": "fine", "tag": ["ok", NUL], "team": NUL})
    assert response.json() == _invalid({"tag": NUL_ERROR, "team": NUL_ERROR})


def test_nul_elsewhere_is_a_400_too(api_as, client_as, teammate):
    """Not only the library: any page or endpoint, in a parameter name, and in the path."""
    assert client_as(teammate).get("/incidents/", {"q": NUL}).status_code == 400
    assert api_as(teammate).get("/api/v1/incidents/", {"q": NUL}).json() == _invalid({"q": NUL_ERROR})
    assert api_as(teammate).get("/api/v1/library/?x%00y=1").json() == _invalid({"x\\0y": NUL_ERROR})
    response = api_as(teammate).get("/api/v1/lenses/a%00b/")
    assert response.status_code == 400
    assert response.json()["error"] == {"status": 400, "code": "invalid", "message": f"Invalid path. {NUL_ERROR[0]}"}


def test_a_percent_sign_that_is_not_a_nul_still_searches(api_as, teammate):
    assert api_as(teammate).get("/api/v1/library/", {"q": "100%00 done"}).status_code == 200


# --- deeply nested JSON ------------------------------------------------------------------------

DEEP = "[" * 10_000 + "]" * 10_000
WRITE_ROUTES = [
    (name, kwargs, method)
    for name, kwargs, offered in api_routes()
    for method in ("post", "put", "patch")
    if method in offered
]
# Actions that take no body never read it, so any body is simply ignored.
BODYLESS = {"notification-read-all"}


@pytest.mark.parametrize("name,kwargs,method", WRITE_ROUTES, ids=[f"{r[2]}-{r[0]}" for r in WRITE_ROUTES])
def test_a_10000_deep_json_body_is_never_a_500(api_as, admin_user, name, kwargs, method):
    response = getattr(api_as(admin_user), method)(
        reverse(f"api:{name}", kwargs=kwargs), DEEP, content_type="application/json"
    )
    assert response["Content-Type"] == "application/json"
    if name in BODYLESS:
        assert response.status_code == 200, f"{method.upper()} {name}: {response.status_code}"
        return
    assert 400 <= response.status_code < 500, f"{method.upper()} {name}: {response.status_code}"
    if not kwargs and response.status_code != 415:  # collections parse the body first (uploads take no JSON)
        assert response.json()["error"] == {
            "status": 400,
            "code": "parse_error",
            "message": "JSON parse error - nested deeper than 32 levels.",
        }


def test_deep_json_is_refused_where_the_body_is_read_after_the_lookup(api_as, owner, team):
    from tests.factories import IncidentFactory

    incident = IncidentFactory(team=team)
    response = api_as(owner).post(f"/api/v1/incidents/{incident.pk}/timeline/", DEEP, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    just_deep_enough = {"body": "x", "kind": "note", "extra": json.loads("[" * 31 + "]" * 31)}
    response = api_as(owner).post(f"/api/v1/incidents/{incident.pk}/timeline/", just_deep_enough, format="json")
    assert response.status_code == 201, "32 levels (the object and 31 lists) still parse"


def test_deeply_nested_import_records_are_refused_not_a_500(api_as, teammate):
    files = [
        SimpleUploadedFile("deep.jsonl", DEEP.encode()),
        SimpleUploadedFile("deep.md", ("---\ntitle: " + DEEP + "\n---\nbody\n").encode()),
    ]
    response = api_as(teammate).post("/api/v1/library/import/", {"files": files}, format="multipart")
    assert response.status_code == 200
    assert response.json()["refused"] == [
        {"file": "deep.jsonl", "line": 1, "message": "nested too deeply to be a record"},
        {"file": "deep.md", "line": 2, "message": "nested too deeply to be a record"},
    ]


# --- uploads -----------------------------------------------------------------------------------


def _files(count: int, text: str = "") -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"f{i}.jsonl", text.encode()) for i in range(count)]


@pytest.mark.parametrize("url", ["/api/v1/library/import/", "/api/v1/lenses/upload/"])
def test_more_files_than_django_takes_is_a_json_400(api_as, admin_user, url):
    response = api_as(admin_user).post(url, {"files": _files(101)}, format="multipart")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {"status": 400, "code": "too_many_files", "message": "Too many files: send at most 100 per request."}
    }


def test_too_many_files_on_a_page_is_the_400_page(client_as, teammate):
    response = client_as(teammate).post("/library/follow/", {"files": _files(101)})
    assert response.status_code == 400 and "Too many files: send at most 100 per request." in response.content.decode()


def test_the_import_limits_are_enforced(api_as, teammate, settings):
    response = api_as(teammate).post("/api/v1/library/import/", {"files": _files(51)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"files": ["Ensure this field has no more than 50 elements."]}
    settings.LIMIT_IMPORT_FILE_BYTES = 10
    big = SimpleUploadedFile("big.jsonl", b"x" * 11)
    response = api_as(teammate).post("/api/v1/library/import/", {"files": [big]}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "status": 413,
        "code": "too_large",
        "message": "big.jsonl: the file is 11 bytes; the limit is 10 per file. Nothing was imported.",
    }
    assert not LibraryEntry.objects.exists()


def test_the_import_limits_are_in_the_schema(api_as, admin_user):
    schema = api_as(admin_user).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/library/import/"]["post"]
    files = schema["components"]["schemas"]["ImportRequest"]["properties"]["files"]
    assert files["maxItems"] == 50
    assert "each at most 5242880 bytes (5 MiB)" in files["description"]
    assert "413" in operation["responses"]
    assert "More than 100 files" in operation["responses"]["400"]["description"]


# --- unknown API paths -------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v1/incidents/1/nope/", "/api/v2/incidents/", "/api/"])
def test_unknown_api_paths_are_json_404s_also_with_debug_on(settings, api_as, client_as, teammate, debug, method, path):
    settings.DEBUG = debug
    for client in (api_as(teammate), client_as(teammate, enforce_csrf=True)):
        response = getattr(client, method)(path)
        assert response.status_code == 404
        assert response.json() == {"error": {"status": 404, "code": "not_found", "message": "Not found."}}


@pytest.mark.parametrize("debug", [False, True])
def test_a_missing_trailing_slash_redirects_a_get_and_tells_a_post(settings, api_as, teammate, debug):
    settings.DEBUG = debug
    client = api_as(teammate)
    response = client.get("/api/v1/incidents?status=open")
    assert response.status_code == 301 and response["Location"] == "/api/v1/incidents/?status=open"
    response = client.post("/api/v1/incidents", {"title": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Not found. API paths end with a slash: /api/v1/incidents/"


def test_unknown_api_paths_answer_anonymous_callers_the_same(api):
    assert api.get("/api/v1/nope/").json()["error"]["code"] == "not_found"
