"""Throttles on preview, search as you type, imports and exports: per user and per token, 429 with Retry-After,
the same rates for the API and the pages (opsx.throttling)."""

import time

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from opsx.throttling import parse_rate
from teams.services import api_token_create
from tests.factories import make_lens_version

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _low_rates(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "preview": "2/min", "search": "2/min"}
    settings.THROTTLE_RATES.update({"import": "1/hour", "export": "1/hour"})


def token_client(user, name="ci"):
    _, key = api_token_create(user=user, name=name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def assert_429(response, *, api):
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    if api:
        assert response.json()["error"] == {
            "status": 429,
            "code": "throttled",
            "message": f"Request was throttled. Expected available in {wait} seconds.",
        }
    return wait


def test_rates_parse_and_bad_ones_are_refused():
    assert (
        parse_rate("120/min") == (120, 60) and parse_rate("5/10min") == (5, 600) and parse_rate("3/day") == (3, 86400)
    )
    with pytest.raises(ValueError, match="bad throttle rate"):
        parse_rate("lots")


def test_a_bad_rate_fails_the_system_check(settings):
    from opsx.checks import throttle_rates

    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "search": "fast"}
    assert [e.id for e in throttle_rates(None)] == ["opsx.E001"]


def test_api_search_is_throttled_per_user_across_session_and_tokens(api_as, teammate, owner):
    assert api_as(teammate).get("/api/v1/library/?q=cache").status_code == 200
    assert token_client(teammate, "one").get("/api/v1/library/facets/?q=cache").status_code == 200
    assert_429(token_client(teammate, "two").get("/api/v1/library/?q=cache"), api=True)
    assert api_as(owner).get("/api/v1/library/?q=cache").status_code == 200, "other users are not slowed down"
    assert api_as(teammate).get("/api/v1/teams/").status_code == 200, "unthrottled endpoints still answer"


def test_a_token_has_its_own_budget_within_its_user(teammate, settings):
    ci = token_client(teammate)
    assert ci.get("/api/v1/library/").status_code == 200
    assert ci.get("/api/v1/library/").status_code == 200
    assert_429(ci.get("/api/v1/library/"), api=True)


def test_the_window_ends_and_requests_pass_again(api_as, teammate):
    with time_machine.travel(time.time(), tick=False) as clock:
        client = api_as(teammate)
        client.get("/api/v1/library/")
        client.get("/api/v1/library/")
        wait = assert_429(client.get("/api/v1/library/"), api=True)
        clock.shift(wait)
        assert client.get("/api/v1/library/").status_code == 200


def test_preview_page_endpoint_uses_the_same_rate(client_as, owner):
    client = client_as(owner)
    url = reverse("incidents:markdown-preview")
    for _ in range(2):
        assert client.post(url, {"_field": "summary", "summary": "**x**"}, **HX).status_code == 200
    response = client.post(url, {"_field": "summary", "summary": "**x**"}, **HX)
    wait = assert_429(response, api=False)
    assert response.content.decode() == f"Too many requests. Try again in {wait} seconds."
    page = client.post(url, {"_field": "summary", "summary": "**x**"})
    assert page.status_code == 429 and "<h1>Too many requests</h1>" in page.content.decode()


def test_library_search_as_you_type_is_throttled(client_as, teammate):
    client = client_as(teammate)
    for q in ("c", "ca"):
        assert client.get(reverse("learning:library"), {"q": q}, **HX).status_code == 200
    assert_429(client.get(reverse("learning:library"), {"q": "cac"}, **HX), api=False)


def test_imports_are_throttled_on_the_api_and_the_page(api_as, client_as, admin_user):
    client = api_as(admin_user)
    upload = {"files": [SimpleUploadedFile("a.jsonl", b"")]}
    assert client.post("/api/v1/library/import/", upload, format="multipart").status_code == 200
    assert_429(client.post("/api/v1/library/import/", upload, format="multipart"), api=True)
    (
        assert_429(
            client.post("/api/v1/lenses/upload/", {"file": SimpleUploadedFile("l.yaml", b"x: 1")}, format="multipart"),
            api=True,
        ),
        "one import budget for library files and lenses",
    )
    page = client_as(admin_user).post(reverse("reviews:lens-upload"), {"file": SimpleUploadedFile("l.yaml", b"x")})
    assert page.status_code == 429, "the page shares the user's budget with the API"


def test_exports_are_throttled_on_the_api_and_the_page(api_as, client_as, teammate):
    version = make_lens_version(name="Export Lens")
    client = api_as(teammate)
    assert client.get("/api/v1/library/export/").status_code == 200
    assert_429(client.get(f"/api/v1/lenses/{version.lens.slug}/export/"), api=True)
    page = client_as(teammate).get(reverse("reviews:lens-export", args=[version.lens.slug]))
    assert page.status_code == 429
