import pytest
from django.urls import reverse

from teams.models import ApiToken, Membership, System, Team
from teams.services import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def test_api_requires_authentication(api, team):
    response = api.get(reverse("api:team-list"))
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


def test_token_authentication(api, team, teammate):
    token, secret = api_token_create(user=teammate, name="bridge")
    assert secret.startswith("opsx_") and not ApiToken.objects.filter(key_hash=secret).exists()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(reverse("api:team-list")).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    api_token_revoke(token=token)
    response = api.get(reverse("api:team-list"))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid, expired or revoked API token."


def test_session_authentication_requires_csrf_for_writes(client, team, teammate):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(teammate)
    response = c.post(
        reverse("api:service-list"), {"name": "X", "slug": "x", "team": team.slug}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_list_is_paginated_and_filterable(api_as, team, other_team, outsider):
    from tests.factories import SystemFactory

    for i in range(3):
        SystemFactory(team=team, slug=f"p{i}", name=f"P{i}", tier=1)
    SystemFactory(team=other_team, slug="s0", name="S0", tier=3)
    client = api_as(outsider)
    body = client.get(reverse("api:service-list"), {"page_size": 2}).json()
    assert body["count"] == 4 and len(body["results"]) == 2 and body["next"]
    body = client.get(reverse("api:service-list"), {"team": "search"}).json()
    assert [s["slug"] for s in body["results"]] == ["s0"]
    body = client.get(reverse("api:service-list"), {"tier": 1, "ordering": "-name"}).json()
    assert [s["slug"] for s in body["results"]] == ["p2", "p1", "p0"]


def test_validation_errors_have_field_messages_and_save_nothing(api_as, team, teammate):
    response = api_as(teammate).post(
        reverse("api:service-list"), {"name": "", "slug": "bad slug", "team": "nope", "tier": 7, "runbook_url": "x"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"name", "slug", "team", "tier", "runbook_url"}
    assert error["fields"]["team"] == ["Object with slug=nope does not exist."]
    assert System.objects.count() == 0


def test_member_creates_service_in_own_team_only(api_as, team, other_team, teammate):
    client = api_as(teammate)
    ok = client.post(reverse("api:service-list"), {"name": "Ledger", "slug": "ledger", "team": "payments"})
    assert ok.status_code == 201 and ok.json()["team"] == "payments"
    refused = client.post(reverse("api:service-list"), {"name": "Ranker", "slug": "ranker", "team": "search"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert not System.objects.filter(slug="ranker").exists()


def test_service_update_and_delete_rules(api_as, service, teammate, owner, outsider):
    url = reverse("api:service-detail", args=[service.slug])
    assert api_as(outsider).patch(url, {"description": "x"}).status_code == 403
    assert api_as(teammate).patch(url, {"description": "Takes orders"}).json()["description"] == "Takes orders"
    assert api_as(teammate).delete(url).status_code == 403
    assert api_as(owner).delete(url).status_code == 204
    assert not System.objects.filter(pk=service.pk).exists()


def test_cannot_move_service_to_a_team_you_are_not_in(api_as, service, teammate, other_team):
    url = reverse("api:service-detail", args=[service.slug])
    assert api_as(teammate).patch(url, {"team": "search"}).status_code == 403
    service.refresh_from_db()
    assert service.team.slug == "payments"


def test_team_crud_rules(api_as, team, owner, teammate, admin_user):
    assert api_as(owner).post(reverse("api:team-list"), {"name": "SRE", "slug": "sre"}).status_code == 403
    created = api_as(admin_user).post(reverse("api:team-list"), {"name": "SRE", "slug": "sre", "timezone": "UTC"})
    assert created.status_code == 201
    url = reverse("api:team-detail", args=[team.slug])
    assert api_as(teammate).patch(url, {"description": "x"}).status_code == 403
    assert api_as(owner).patch(url, {"description": "Money"}).status_code == 200
    assert api_as(owner).delete(url).status_code == 403
    bad = api_as(admin_user).post(reverse("api:team-list"), {"name": "Ops", "slug": "ops", "timezone": "Mars/Base"})
    assert bad.status_code == 400 and "timezone" in bad.json()["error"]["fields"]
    assert not Team.objects.filter(slug="ops").exists()


def test_membership_management_by_leads(api_as, team, owner, teammate, outsider):
    url = reverse("api:membership-list")
    assert api_as(teammate).post(url, {"team": "payments", "user": "charlie", "role": "member"}).status_code == 403
    created = api_as(owner).post(url, {"team": "payments", "user": "charlie", "role": "member"})
    assert created.status_code == 201
    pk = created.json()["id"]
    detail = reverse("api:membership-detail", args=[pk])
    assert api_as(owner).patch(detail, {"role": "lead"}).json()["role"] == "lead"
    assert api_as(teammate).delete(detail).status_code == 403
    assert api_as(owner).delete(detail).status_code == 204
    assert not Membership.objects.filter(pk=pk).exists()


def test_unknown_object_is_404_in_error_shape(api_as, owner):
    response = api_as(owner).get(reverse("api:service-detail", args=["missing"]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_api_url_answers_in_error_shape(client_as, owner):
    response = client_as(owner).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "code": "not_found", "message": "Not found."}}
