"""Accounts: self-service password change, password reset by email (sent by a task, throttled), and seed_demo's
guard against production."""

import io
import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from teams import tasks
from teams.models import User

pytestmark = pytest.mark.django_db


def sign_in(client, username, password="pw"):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- password change -------------------------------------------------------------------------------


def test_a_user_changes_their_password_and_other_sessions_end(teammate):
    browser, laptop = Client(), Client()
    sign_in(browser, teammate.username)
    sign_in(laptop, teammate.username)
    page = browser.get("/accounts/password/").content.decode()
    assert "Change your password" in page and 'name="old_password"' in page
    wrong = browser.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "a-long-new-secret-42", "new_password2": "a-long-new-secret-42"},
    )
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    response = browser.post(
        "/accounts/password/",
        {"old_password": "pw", "new_password1": "a-long-new-secret-42", "new_password2": "a-long-new-secret-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/changed/"
    assert browser.get("/").status_code == 200, "this session stays signed in"
    assert laptop.get("/").status_code == 302, "other sessions are signed out"
    assert sign_in(Client(), teammate.username, "a-long-new-secret-42").status_code == 302
    assert sign_in(Client(), teammate.username, "pw").status_code == 200


def test_weak_new_passwords_are_refused(client_as, teammate):
    response = client_as(teammate).post(
        "/accounts/password/", {"old_password": "pw", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert "This password is too common." in response.content.decode()


def test_the_navigation_links_to_it(client_as, teammate):
    assert 'href="/accounts/password/"' in client_as(teammate).get("/").content.decode()


# --- password reset --------------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """User ids whose reset mail was enqueued (the task is then run by the test, as a worker would)."""
    queued = []
    monkeypatch.setattr(tasks.send_password_reset, "delay", queued.append)
    return queued


def test_reset_by_email_end_to_end(teammate, sent, django_capture_on_commit_callbacks):
    client = Client()
    assert "Forgot your password?" in client.get("/accounts/login/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password-reset/", {"email": teammate.email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert sent == [teammate.pk] and mail.outbox == [], "the request only enqueues; a worker sends"
    tasks.send_password_reset(teammate.pk)
    (message,) = mail.outbox
    assert message.to == [teammate.email] and message.subject == "Reset your opsx password"
    assert message.alternatives[0][1] == "text/html"
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/password-reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "fresh-secret-9876", "new_password2": "fresh-secret-9876"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password-reset/done/"
    assert sign_in(Client(), teammate.username, "fresh-secret-9876").status_code == 302
    assert "does not work any more" in Client().get(link, follow=True).content.decode(), "a link works once"


def test_unknown_addresses_get_the_same_answer_and_no_mail(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert sent == []


def test_the_task_sends_nothing_for_inactive_or_missing_accounts(teammate):
    User.objects.filter(pk=teammate.pk).update(is_active=False)
    tasks.send_password_reset(teammate.pk)
    tasks.send_password_reset(10**9)
    assert mail.outbox == []


def test_reset_requests_are_throttled_per_address_and_per_email(
    settings, teammate, sent, django_capture_on_commit_callbacks
):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset": "2/hour"}
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert Client().post("/accounts/password-reset/", {"email": teammate.email}).status_code == 302
    response = Client(REMOTE_ADDR="198.51.100.7").post("/accounts/password-reset/", {"email": teammate.email.upper()})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0, "per email, whatever the address"
    assert len(sent) == 2


# --- seed_demo -------------------------------------------------------------------------------------


def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-understand-this-is-not-production"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()


def test_seed_demo_with_the_flag_never_uses_the_published_password(settings):
    settings.DEBUG = False
    out = io.StringIO()
    call_command("seed_demo", "--i-understand-this-is-not-production", stdout=out)
    admin = User.objects.get(username="admin")
    assert not admin.check_password("opsx-demo")
    password = re.search(r"Sign in as admin / (\S+) ", out.getvalue()).group(1)
    assert password != "opsx-demo" and admin.check_password(password)


def test_seed_demo_in_development_uses_the_documented_login(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.get(username="alice").check_password("opsx-demo")
    assert sign_in(Client(), "alice", "opsx-demo").status_code == 302
