"""Single sign-on against a local OpenID Connect provider (tests/sso/provider.py): the code flow signs
people in, creates them once, and maps the provider's groups to teams and org roles."""

from urllib.parse import urlparse

import pytest
import requests
from django.test import Client, override_settings

from audit.models import AuditEvent
from teams.models import Membership, User
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.sso.provider import Provider

pytestmark = pytest.mark.django_db

MAPPING = {
    "OIDC_TEAM_GROUPS": {
        "payments-leads": ("payments", "lead"),
        "payments": ("payments", "member"),
        "search": ("search", "member"),
    },
    "OIDC_ADMIN_GROUPS": ["opsx-admins"],
    "OIDC_LEADERSHIP_GROUPS": ["directors"],
}


@pytest.fixture
def provider():
    idp = Provider().start()
    with override_settings(**idp.settings(), **MAPPING):
        yield idp
    idp.stop()


@pytest.fixture
def teams(db):
    return TeamFactory(name="Payments", slug="payments"), TeamFactory(name="Search", slug="search")


def sign_in(provider, claims, client=None):
    """Run the authorization code flow: opsx → provider (consents at once) → opsx's callback."""
    client = client or Client()
    provider.login_as = claims
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302 and start["Location"].startswith(provider.issuer)
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    callback = urlparse(at_provider.headers["Location"])
    return client, client.get(f"{callback.path}?{callback.query}")


ALICE = {"sub": "1001", "email": "alice@example.com", "preferred_username": "alice", "given_name": "Alice"}


def test_a_new_person_signs_in_and_gets_the_teams_of_their_groups(provider, teams):
    client, response = sign_in(provider, {**ALICE, "groups": ["payments-leads", "search"]})
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="alice@example.com")
    assert user.username == "alice" and not user.has_usable_password() and user.org_role == "member"
    roles = dict(Membership.objects.filter(user=user).values_list("team__slug", "role"))
    assert roles == {"payments": "lead", "search": "member"}
    assert client.get("/").status_code == 200  # signed in
    created = AuditEvent.objects.filter(pgh_obj_model="teams.User", pgh_label="insert").get()
    assert created.pgh_context["source"] == "browser" and created.pgh_context["user"] == user.pk


def test_the_next_sign_in_follows_the_groups_and_matches_by_email(provider, teams):
    payments, search = teams
    existing = UserFactory(username="al", email="alice@example.com")
    MembershipFactory(user=existing, team=search, role="lead")
    other = TeamFactory(name="Unmapped", slug="unmapped")
    MembershipFactory(user=existing, team=other)
    sign_in(provider, {**ALICE, "groups": ["payments", "opsx-admins"]})
    existing.refresh_from_db()
    assert User.objects.count() == 1 and existing.org_role == "admin"
    roles = dict(Membership.objects.filter(user=existing).values_list("team__slug", "role"))
    assert roles == {"payments": "member", "unmapped": "member"}  # search left (mapped), unmapped kept
    sign_in(provider, {**ALICE, "groups": ["directors"]})
    existing.refresh_from_db()
    assert existing.org_role == "leadership"


def test_a_token_for_another_client_is_refused(provider, teams):
    provider.audience = "someone-else"
    client, response = sign_in(provider, {**ALICE, "groups": []})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?sso=failed"
    assert not User.objects.filter(email="alice@example.com").exists()
    assert client.get("/").status_code == 302  # still signed out


def test_a_token_signed_by_another_key_is_refused(provider, teams):
    from cryptography.hazmat.primitives.asymmetric import rsa

    published = provider.jwks()  # the provider's real key
    provider.jwks = lambda: published
    provider.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # what a forger signs with
    _client, response = sign_in(provider, {**ALICE, "groups": []})
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert not User.objects.filter(email="alice@example.com").exists()


def test_sso_is_off_by_default(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()


def test_the_login_page_offers_sso_when_enabled(provider, client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with single sign-on" in page and "/oidc/authenticate/" in page
