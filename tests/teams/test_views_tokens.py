import pytest
from django.urls import reverse

from teams.models import ApiToken

pytestmark = pytest.mark.django_db


def test_create_token_shows_secret_once_and_stores_only_a_hash(client_as, teammate):
    client = client_as(teammate)
    body = client.post(reverse("teams:token-list"), {"name": "pager bridge"}).content.decode()
    token = ApiToken.objects.get(user=teammate)
    assert "Copy your new token now" in body
    secret = body.split('<code id="new-token">')[1].split("</code>")[0]
    assert token.key_hash == ApiToken.hash_key(secret) and secret not in token.key_hash
    again = client.get(reverse("teams:token-list")).content.decode()
    assert secret not in again and token.key_prefix in again


def test_token_form_errors(client_as, teammate):
    response = client_as(teammate).post(reverse("teams:token-list"), {"name": "", "expires_at": "soon"})
    body = response.content.decode()
    assert "This field is required." in body and "Enter a valid date/time." in body
    assert not ApiToken.objects.exists()


def test_only_the_owner_revokes_a_token(client_as, teammate, outsider):
    from teams.services import api_token_create

    token, _ = api_token_create(user=teammate, name="ci")
    assert client_as(outsider).post(reverse("teams:token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    client_as(teammate).post(reverse("teams:token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_tokens_page_lists_only_my_tokens(client_as, teammate, outsider):
    from teams.services import api_token_create

    api_token_create(user=outsider, name="not-mine")
    assert "not-mine" not in client_as(teammate).get(reverse("teams:token-list")).content.decode()
