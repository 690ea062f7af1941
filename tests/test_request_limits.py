"""Request bodies: the whole request is capped (LIMIT_REQUEST_BYTES) before anything reads it, and form and JSON
bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are refused: 413 in the API's error shape, or the 413 page."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def test_a_request_over_the_cap_is_413_before_it_is_read(api_as, client_as, teammate, settings):
    settings.LIMIT_REQUEST_BYTES = 10_000
    upload = SimpleUploadedFile("big.jsonl", b"x" * 20_000)
    api = api_as(teammate).post("/api/v1/library/import/", {"files": [upload]}, format="multipart")
    assert api.status_code == 413
    assert api.json()["error"]["code"] == "too_large"
    assert api.json()["error"]["message"].endswith("bytes; the limit is 10,000.")
    page = client_as(teammate).post("/reviews/lenses/upload/", {"file": SimpleUploadedFile("l.yaml", b"#" * 20_000)})
    assert page.status_code == 413 and "the limit is 10,000." in page.content.decode()
    assert "<h1>Too large</h1>" in page.content.decode()


def test_json_over_the_body_limit_is_413(api_as, teammate, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "x" * 2000})
    response = api_as(teammate).generic("POST", "/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "status": 413,
            "code": "too_large",
            "message": "The request body is over 1000 bytes (uploaded files not counted).",
        }
    }


def test_a_form_over_the_body_limit_is_the_413_page(client_as, teammate, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_as(teammate).post("/postmortems/preview/", {"_field": "summary", "summary": "x" * 2000})
    assert response.status_code == 413
    assert "The request body is over 1000 bytes" in response.content.decode()
