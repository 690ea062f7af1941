"""A task goes through the real Redis broker to a real worker process, which writes to the test database."""

import time
import uuid

import pytest

from opsx.models import WorkerHeartbeat
from opsx.tasks import heartbeat
from tests.workers import start_worker, stop_workers, worker_env


@pytest.fixture
def worker(transactional_db):
    """A Celery worker on its own queue, using the test database."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    proc = start_worker(queue, env=worker_env())
    try:
        yield queue
    finally:
        stop_workers([proc])


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
