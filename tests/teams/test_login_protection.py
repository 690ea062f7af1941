"""Signing in: failed sign-ins lock an account (django-axes) and slow an address down; admins unlock;
failed API token authentication is throttled; the session ends when idle."""

import time

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from teams.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password="pw", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client):
    return SESSION_KEY in client.session


# --- per account ---------------------------------------------------------------------------------


def test_after_five_failures_even_the_right_password_is_refused(settings, teammate):
    client = Client()
    for _ in range(4):
        assert sign_in(client, teammate.username, "wrong").status_code == 200
    assert sign_in(client, teammate.username, "wrong").status_code == 429, "the fifth failure locks the account"
    response = sign_in(client, teammate.username, "pw")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert "Too many failed sign-ins for this account. Try again in 15 minutes" in response.content.decode()
    assert not signed_in(client)


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(teammate):
    client = Client()
    for _ in range(30):
        sign_in(client, teammate.username, "guess")
    assert sign_in(client, teammate.username).status_code == 429
    assert not signed_in(client)


def test_the_lock_ends_after_the_cool_off(teammate):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = Client()
        for _ in range(5):
            sign_in(client, teammate.username, "wrong")
        assert sign_in(client, teammate.username).status_code == 429
        clock.shift(16 * 60)
        assert sign_in(client, teammate.username).status_code == 302
        assert signed_in(client)


def test_a_successful_sign_in_clears_the_count(teammate):
    client = Client()
    for _ in range(4):
        sign_in(client, teammate.username, "wrong")
    assert sign_in(client, teammate.username).status_code == 302
    other = Client()
    for _ in range(4):
        sign_in(other, teammate.username, "wrong")
    assert sign_in(other, teammate.username).status_code == 302


def test_the_admin_signs_in_through_the_same_protected_page(teammate):
    response = Client().post("/admin/login/", {"username": teammate.username, "password": "pw"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_an_admin_unlocks_an_account_from_the_users_list(client_as, admin_user, teammate):
    for _ in range(5):
        sign_in(Client(), teammate.username, "wrong")
    assert sign_in(Client(), teammate.username).status_code == 429
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    admin = client_as(admin_user)
    response = admin.post(
        "/admin/teams/user/", {"action": "unlock_sign_in", "_selected_action": [teammate.pk]}, follow=True
    )
    assert "Unlocked 1 account(s)" in response.content.decode()
    assert not AccessAttempt.objects.filter(username=teammate.username).exists()
    client = Client()
    assert sign_in(client, teammate.username).status_code == 302 and signed_in(client)


def test_locked_accounts_are_listed_in_the_admin(client_as, admin_user, teammate):
    for _ in range(5):
        sign_in(Client(), teammate.username, "wrong")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    page = client_as(admin_user).get("/admin/axes/accessattempt/?locked_out=yes").content.decode()
    assert teammate.username in page


# --- per address ---------------------------------------------------------------------------------


def test_failures_on_many_accounts_from_one_address_slow_that_address_down(settings, teammate, owner):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_failure": "3/10min"}
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("a", "b", "c"):
        assert sign_in(sprayer, name, "Winter2024!").status_code == 200
    response = sign_in(sprayer, owner.username)
    assert response.status_code == 429
    assert "Too many failed sign-ins from your network. Try again in" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 600
    assert not signed_in(sprayer)
    colleague = Client(REMOTE_ADDR="198.51.100.7")
    assert sign_in(colleague, teammate.username).status_code == 302, "other addresses are not affected"


# --- API tokens ----------------------------------------------------------------------------------


def test_failed_token_authentication_is_throttled_per_address(settings, teammate):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token_failure": "3/min"}
    _, key = api_token_create(user=teammate, name="ci")
    with time_machine.travel(time.time(), tick=False) as clock:
        guesser = APIClient(REMOTE_ADDR="203.0.113.9")
        for n in range(3):
            response = guesser.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer opsx_guess{n}")
            assert response.status_code == 401
        response = guesser.get("/api/v1/teams/", HTTP_AUTHORIZATION="Bearer opsx_guess4")
        assert response.status_code == 429
        wait = int(response["Retry-After"])
        assert response.json()["error"]["code"] == "throttled" and 0 < wait <= 60
        blocked = guesser.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert blocked.status_code == 429, "no token is even looked up from that address until the window ends"
        other = APIClient(REMOTE_ADDR="198.51.100.7")
        assert other.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
        clock.shift(wait)
        assert guesser.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_good_tokens_do_not_count(settings, teammate):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token_failure": "2/min"}
    _, key = api_token_create(user=teammate, name="ci")
    client = APIClient()
    for _ in range(5):
        assert client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


# --- idle sessions -------------------------------------------------------------------------------


def test_an_idle_session_ends_and_the_badge_poll_is_not_activity(settings, teammate):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = Client()
        sign_in(client, teammate.username)
        clock.shift(20 * 60)
        assert client.get("/").status_code == 200, "activity at 20 minutes"
        clock.shift(25 * 60)
        assert client.get(reverse("notifications:badge"), HTTP_HX_REQUEST="true").status_code == 200
        clock.shift(10 * 60)  # 35 minutes after the last real request, 10 after the poll
        response = client.get("/incidents/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert not signed_in(client)
        page = client.get(response["Location"]).content.decode()
        assert "You were signed out after 30 minutes without activity." in page


def test_no_idle_timeout_when_it_is_zero(settings, teammate):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 0
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = Client()
        sign_in(client, teammate.username)
        clock.shift(24 * 3600)
        assert client.get("/").status_code == 200


def test_a_new_user_is_not_locked(db):
    user = UserFactory(username="newcomer")
    assert sign_in(Client(), user.username).status_code == 302
