import pytest
from django.urls import reverse

from teams.models import System

pytestmark = pytest.mark.django_db

VALID = {"name": "Ledger", "slug": "ledger", "tier": 2, "lifecycle": "production", "description": ""}


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "leader"])
def test_everyone_signed_in_reads_services(request, client_as, service, persona):
    client = client_as(request.getfixturevalue(persona))
    assert "Checkout API" in client.get(reverse("teams:service-list")).content.decode()
    assert client.get(reverse("teams:service-detail", args=[service.slug])).status_code == 200


def test_service_list_filters_by_team_and_tier(client_as, service, other_team, owner):
    from tests.factories import SystemFactory

    SystemFactory(name="Ranker", slug="ranker", team=other_team, tier=3)
    client = client_as(owner)
    body = client.get(reverse("teams:service-list"), {"team": "search"}).content.decode()
    assert "Ranker" in body and "Checkout API" not in body
    body = client.get(reverse("teams:service-list"), {"tier": "1"}).content.decode()
    assert "Checkout API" in body and "Ranker" not in body


def test_member_creates_service_for_own_team(client_as, team, teammate):
    response = client_as(teammate).post(reverse("teams:service-create"), {**VALID, "team": team.pk})
    assert response.status_code == 303
    assert System.objects.get(slug="ledger").team == team


def test_member_cannot_create_service_for_another_team(client_as, team, other_team, teammate):
    response = client_as(teammate).post(reverse("teams:service-create"), {**VALID, "team": other_team.pk})
    assert response.status_code == 200, "the other team is not a valid choice"
    assert "Select a valid choice" in response.content.decode()
    assert not System.objects.filter(slug="ledger").exists()


def test_leadership_without_team_cannot_create_services(client_as, leader):
    assert client_as(leader).get(reverse("teams:service-create")).status_code == 403


def test_service_form_reports_bad_urls_and_saves_nothing(client_as, team, teammate):
    data = {**VALID, "team": team.pk, "runbook_url": "not a url", "tier": 9}
    response = client_as(teammate).post(reverse("teams:service-create"), data)
    body = response.content.decode()
    assert "Enter a valid URL." in body
    assert "Select a valid choice. 9 is not one of the available choices." in body
    assert not System.objects.filter(slug="ledger").exists()


def test_teammate_edits_outsider_cannot(client_as, service, teammate, outsider):
    url = reverse("teams:service-edit", args=[service.slug])
    data = {**VALID, "name": "Checkout API", "slug": service.slug, "team": service.team_id, "tier": 1}
    assert client_as(outsider).get(url).status_code == 403
    assert client_as(outsider).post(url, data).status_code == 403
    assert client_as(teammate).post(url, {**data, "description": "Takes orders"}).status_code == 303
    service.refresh_from_db()
    assert service.description == "Takes orders"


def test_unknown_service_is_404(client_as, owner):
    assert client_as(owner).get(reverse("teams:service-detail", args=["nope"])).status_code == 404
