"""Shared fixtures: personas (owner, teammate, outsider, leader, admin), clients, isolation, a browser."""

import os
import uuid
from pathlib import Path

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


# --- browser (Playwright driving Debian's Chromium against pytest-django's live server) ---

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from test code are still
    # synchronous and safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        yield from _launch(sync_playwright)
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _launch(sync_playwright):
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_as(browser, live_server):
    """A page signed in through the real login form as the given user (password 'pw' from the factory)."""
    contexts = []

    def make(user):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield make
    for context in contexts:
        context.close()
