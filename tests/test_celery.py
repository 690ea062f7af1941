"""A task goes through the real Redis broker to a real worker process, which writes to the test database."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from opsx.models import WorkerHeartbeat
from opsx.tasks import heartbeat

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker(transactional_db):
    """A Celery worker on its own queue, using the test database."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsx.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "opsx",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.worker
def test_task_round_trip_through_redis_to_a_worker(worker):
    token = uuid.uuid4().hex
    heartbeat.apply_async(kwargs={"token": token}, queue=worker)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(token=token).exists():
            break
        time.sleep(0.25)
    assert WorkerHeartbeat.objects.filter(token=token).count() == 1


def test_beat_schedule_entries_expire_and_name_real_tasks():
    from opsx.celery import app

    app.loader.import_default_modules()
    assert app.conf.beat_schedule, "beat has a schedule"
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, f"{name}: unknown task {entry['task']}"
        assert entry.get("options", {}).get("expires"), f"{name}: periodic runs must expire"


def test_broker_is_redis_under_test_settings():
    from opsx.celery import app

    assert app.conf.broker_url.startswith("redis://")
    assert app.conf.task_acks_late is True
