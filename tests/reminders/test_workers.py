"""Scale-out: two real worker processes on the real Redis broker, two sweeps (or digest runs) at once.

Each worker listens on its own queue, so both runs start together, one in each process; a heartbeat
sent behind each run says when that worker has finished it (a solo worker takes its queue in order).
"""

import time
import uuid

import pytest
from django.utils import timezone

from notifications.models import Notification
from opsx.models import WorkerHeartbeat
from opsx.tasks import heartbeat
from reminders.models import Digest, ReminderSettings, TeamSchedule
from reminders.services import run_digests, run_reminder_sweep
from reminders.tasks import send_digests, send_reminders
from tests.workers import start_worker, stop_workers, worker_env


@pytest.fixture(scope="module")
def two_workers(django_db_setup, django_db_blocker):
    """Started once for the module: the workers only need the test database's name."""
    env = worker_env()
    queues = [f"test-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    procs = [start_worker(queue, env=env, name=f"{queue}@%h") for queue in queues]
    try:
        yield queues
    finally:
        stop_workers(procs)


def _both(task, queues):
    """Send `task` to both workers at once and wait until both have run it."""
    tokens = []
    for queue in queues:
        task.apply_async(queue=queue)
    for queue in queues:
        token = uuid.uuid4().hex
        heartbeat.apply_async(kwargs={"token": token}, queue=queue)
        tokens.append(token)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and WorkerHeartbeat.objects.filter(token__in=tokens).count() < 2:
        time.sleep(0.2)
    assert WorkerHeartbeat.objects.filter(token__in=tokens).count() == 2, "both workers ran the task"


@pytest.fixture
def due_now(transactional_db, two_workers, world, team, other_team):
    """The fixed data set, with both teams awake and their digests due whatever the real clock says."""
    today = timezone.now().weekday()
    for t in (team, other_team):
        TeamSchedule.objects.create(
            team=t, quiet_start_hour=0, quiet_end_hour=0, quiet_weekends=False, digest_weekday=today, digest_hour=0
        )
    ReminderSettings.objects.create(pk=1, digest_weekday=today, digest_hour=0)
    return two_workers


@pytest.mark.worker
def test_two_concurrent_sweeps_record_every_due_reminder_once(due_now):
    planned = run_reminder_sweep(now=timezone.now(), dry_run=True).notifications
    assert len(planned) >= 5
    _both(send_reminders, due_now)
    rows = list(Notification.objects.filter(period__gt="").values_list("recipient_id", "kind", "subject_id", "period"))
    assert len(rows) == len(set(rows))
    assert set(rows) == {(r.recipient_id, r.kind, r.subject_id, r.period) for r in planned}


@pytest.mark.worker
def test_two_beat_triggered_digest_runs_send_each_digest_once(due_now):
    planned = run_digests(now=timezone.now(), dry_run=True).digests
    assert len(planned) == 10
    _both(send_digests, due_now)
    stored = list(Digest.objects.values_list("recipient_id", "kind", "period"))
    assert sorted(stored) == sorted((d.recipient_id, d.kind, d.period) for d in planned)
    notes = list(Notification.objects.filter(kind__startswith="digest_").values_list("recipient_id", "subject_id"))
    assert len(notes) == len(set(notes)) == 10
