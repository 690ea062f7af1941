import pytest
from django.urls import reverse

from teams.models import Membership, Team

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, team):
    response = client.get(reverse("teams:team-detail", args=[team.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_htmx_request_gets_401_with_redirect_header(client, team):
    response = client.get(reverse("teams:team-list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert response["HX-Redirect"] == reverse("login")


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "leader"])
def test_everyone_signed_in_reads_team_list_and_detail(request, client_as, team, persona):
    client = client_as(request.getfixturevalue(persona))
    assert team.name in client.get(reverse("teams:team-list")).content.decode()
    assert client.get(reverse("teams:team-detail", args=[team.slug])).status_code == 200


def test_team_list_search_returns_results_fragment_for_htmx(client_as, team, other_team, owner):
    response = client_as(owner).get(reverse("teams:team-list"), {"q": "pay"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="results"' in body and "<html" not in body
    assert "Payments" in body and "Search" not in body


def test_admin_creates_team(client_as, admin_user):
    response = client_as(admin_user).post(
        reverse("teams:team-create"), {"name": "SRE", "slug": "sre", "timezone": "Europe/Paris"}
    )
    assert response.status_code == 303
    assert Team.objects.filter(slug="sre", timezone="Europe/Paris").exists()


def test_non_admin_cannot_create_team(client_as, owner):
    response = client_as(owner).post(reverse("teams:team-create"), {"name": "SRE", "slug": "sre", "timezone": "UTC"})
    assert response.status_code == 403
    assert not Team.objects.filter(slug="sre").exists()


def test_team_form_errors_are_shown_and_nothing_saved(client_as, admin_user, team):
    response = client_as(admin_user).post(
        reverse("teams:team-create"), {"name": "Payments", "slug": "bad slug!", "timezone": "Mars/Olympus"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Team with this Name already exists." in body
    assert "is not a known time zone" in body
    assert "valid “slug”" in body
    assert Team.objects.count() == 1


def test_inline_validation_returns_one_fields_errors_without_saving(client_as, admin_user):
    response = client_as(admin_user).post(
        reverse("teams:team-create"),
        {"name": "X", "slug": "x", "timezone": "Nowhere", "_validate": "timezone"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    assert not Team.objects.filter(slug="x").exists()


def test_lead_edits_team_but_member_and_outsider_cannot(client_as, team, owner, teammate, outsider):
    url = reverse("teams:team-edit", args=[team.slug])
    data = {"name": "Payments", "slug": "payments", "description": "Money", "timezone": "UTC"}
    assert client_as(teammate).post(url, data).status_code == 403
    assert client_as(outsider).post(url, data).status_code == 403
    assert client_as(owner).post(url, data).status_code == 303
    team.refresh_from_db()
    assert team.description == "Money"


def test_htmx_form_post_redirects_with_hx_header(client_as, team, owner):
    response = client_as(owner).post(
        reverse("teams:team-edit", args=[team.slug]),
        {"name": "Payments", "slug": "payments", "description": "x", "timezone": "UTC"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == team.get_absolute_url()


def test_lead_adds_changes_and_removes_members_over_htmx(client_as, team, owner, outsider):
    client = client_as(owner)
    response = client.post(
        reverse("teams:membership-add", args=[team.slug]),
        {"user": outsider.username, "role": "member"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and outsider.display_name in response.content.decode()
    membership = Membership.objects.get(team=team, user=outsider)
    client.post(reverse("teams:membership-role", args=[team.slug, membership.pk]), {"role": "lead"})
    membership.refresh_from_db()
    assert membership.role == "lead"
    client.post(reverse("teams:membership-remove", args=[team.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_member_cannot_manage_membership(client_as, team, teammate, outsider, owner):
    client = client_as(teammate)
    response = client.post(reverse("teams:membership-add", args=[team.slug]), {"user": outsider.username})
    assert response.status_code == 403
    lead = Membership.objects.get(team=team, user=owner)
    assert client.post(reverse("teams:membership-remove", args=[team.slug, lead.pk])).status_code == 403
    assert Membership.objects.filter(pk=lead.pk).exists()


def test_htmx_post_with_csrf_header_is_accepted(client_as, team, owner, outsider):
    client = client_as(owner, enforce_csrf=True)
    page = client.get(reverse("teams:team-detail", args=[team.slug]))
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else client.cookies["csrftoken"].value
    url = reverse("teams:membership-add", args=[team.slug])
    refused = client.post(url, {"user": outsider.username, "role": "member"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    accepted = client.post(
        url, {"user": outsider.username, "role": "member"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 200
    assert Membership.objects.filter(team=team, user=outsider).exists()


def test_page_carries_csrf_token_for_htmx(client_as, team, owner):
    body = client_as(owner).get(reverse("teams:team-detail", args=[team.slug])).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert "vendor/htmx.min.js" in body
