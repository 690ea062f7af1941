"""Shared fixtures: personas (owner, teammate, outsider, leader, admin), clients, isolation."""

import uuid

import pytest
from rest_framework.test import APIClient

from teams.permissions import TeamRole
from tests.factories import MembershipFactory, SystemFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own cache namespace and media folder."""
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


@pytest.fixture
def team(db):
    return TeamFactory(name="Payments", slug="payments")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Search", slug="search")


@pytest.fixture
def owner(team):
    """Lead of `team`."""
    user = UserFactory(username="alice")
    MembershipFactory(user=user, team=team, role=TeamRole.LEAD)
    return user


@pytest.fixture
def teammate(team):
    """Plain member of `team`."""
    user = UserFactory(username="bob")
    MembershipFactory(user=user, team=team, role=TeamRole.MEMBER)
    return user


@pytest.fixture
def outsider(other_team):
    """Member of another team: reads what is not restricted, changes nothing of `team`."""
    user = UserFactory(username="charlie")
    MembershipFactory(user=user, team=other_team, role=TeamRole.LEAD)
    return user


@pytest.fixture
def leader(db):
    """Leadership: reads everything that is not restricted, owns nothing."""
    from teams.models import User

    return UserFactory(username="erin", org_role=User.OrgRole.LEADERSHIP)


@pytest.fixture
def admin_user(db):
    from teams.models import User

    return UserFactory(username="ada", org_role=User.OrgRole.ADMIN)


@pytest.fixture
def service(team):
    return SystemFactory(name="Checkout API", slug="checkout-api", team=team, tier=1)


@pytest.fixture
def api():
    """An API client; `api.force_authenticate(user)` or use `api_as`."""
    return APIClient()


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def client_as(client):
    """A browser client signed in as the given user (session auth, CSRF enforced)."""
    from django.test import Client

    def make(user, enforce_csrf=False):
        c = Client(enforce_csrf_checks=enforce_csrf)
        c.force_login(user)
        return c

    return make
