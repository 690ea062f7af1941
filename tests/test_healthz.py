import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsx.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


TOKEN = "health-check-secret"
WITH_TOKEN = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def _token(settings):
    settings.HEALTHZ_TOKEN = TOKEN


@pytest.fixture
def worker_seen():
    from opsx.tasks import heartbeat

    heartbeat()


def test_anonymous_callers_get_the_status_alone(client, worker_seen):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_head_answers_without_a_body(client, worker_seen):
    response = client.head("/healthz")
    assert response.status_code == 200 and response.content == b""


def test_the_token_and_admins_see_every_check(client, client_as, admin_user, teammate, worker_seen):
    body = client.get("/healthz", **WITH_TOKEN).json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["broker"]["ok"] and body["checks"]["broker"]["transport"] == "redis"
    assert body["checks"]["worker"]["ok"] and body["checks"]["worker"]["age_seconds"] < 60
    admin_user.is_staff = True
    admin_user.save()
    assert "checks" in client_as(admin_user).get("/healthz").json()
    assert client_as(teammate).get("/healthz").json() == {"status": "ok"}, "members see the status alone"
    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer wrong").json() == {"status": "ok"}


def test_no_recent_worker_is_degraded_but_still_200(client, settings):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from opsx.tasks import HEARTBEAT_KEY

    assert client.get("/healthz").json() == {"status": "degraded"}, "never seen"
    cache.set(HEARTBEAT_KEY, (timezone.now() - timedelta(minutes=20)).isoformat())
    response = client.get("/healthz", **WITH_TOKEN)
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert (
        response.json()["checks"]["worker"]["ok"] is False
        and response.json()["checks"]["worker"]["age_seconds"] >= 1200
    )


def test_healthz_is_503_when_the_broker_is_down(client, monkeypatch, worker_seen):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz", **WITH_TOKEN)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert client.get("/healthz").json() == {"status": "unavailable"}


def test_healthz_is_503_when_the_database_is_down():
    """A separate process whose DATABASE_URL points at a port where nothing listens."""
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', HTTP_AUTHORIZATION='Bearer t'); "
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsx.settings.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing",
        "ALLOWED_HOSTS": "testserver",
        "HEALTHZ_TOKEN": "t",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 503
    assert result["body"]["checks"]["database"]["ok"] is False
    assert result["body"]["checks"]["broker"]["ok"] is True
