"""Exactly-once delivery with the real Redis broker and real `celery -A opsx worker` processes.

Each test starts its workers on a queue of its own, with the visibility timeout, the claim's lease and the
retry backoff shortened to seconds through the environment (opsx/settings/base.py reads them), and the
email backend of tests/notifications/backends.py, which writes messages to a folder and can fail or kill
its own worker on request. Skipped only when Redis cannot be reached.
"""

import subprocess
import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications import services
from notifications.models import Channel, Delivery, Notification
from opsx.celery import app
from tests.factories import PersonChannelFactory, PreferenceFactory, UserFactory
from tests.notifications.backends import sent_messages
from tests.notifications.webhook import Receiver
from tests.workers import start_worker, stop_workers, worker_env

KIND = Notification.Kind.MENTION
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _redis():
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {settings.CELERY_BROKER_URL}")
    return client


@pytest.fixture
def outbox(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def workers(outbox):
    """start(n, pool="solo") -> [processes]: workers on this test's queue, stopped afterwards."""
    redis_client = _redis()
    queue = f"test-delivery-{uuid.uuid4().hex[:10]}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    env = worker_env(
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CELERY_VISIBILITY_TIMEOUT="4",
        CELERY_TASK_TIME_LIMIT="3",
        CELERY_TASK_SOFT_TIME_LIMIT="2",
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        CELERY_UNACKED_RESTORE_THROTTLE="1",
        NOTIFY_SEND_TIME_LIMIT="2",
        NOTIFY_LEASE_SECONDS="3",
        NOTIFY_RETRY_BASE_SECONDS="0.2",
        TEST_EMAIL_BACKEND="tests.notifications.backends.FlakyFileBackend",
        TEST_MAIL_DIR=str(outbox),
    )
    procs: list[subprocess.Popen] = []

    def start(n: int = 1, pool: str = "solo") -> list[subprocess.Popen]:
        for i in range(n):
            procs.append(start_worker(queue, env=env, name=f"w{len(procs)}-{i}@%h", pool=pool))
        return procs[-n:]

    start.queue = queue  # type: ignore[attr-defined]
    start.redis = redis_client  # type: ignore[attr-defined]
    yield start
    stop_workers(procs)
    redis_client.delete(queue)
    app.conf.task_default_queue = previous_queue


def _wait(condition, timeout=45.0):
    """Poll until `condition()` is true (fails the test after `timeout` seconds: something is stuck)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("gave up waiting")


def _settled(workers):
    """Nothing of this test's queue is waiting or held unacknowledged."""
    r = workers.redis
    return r.llen(workers.queue) == 0 and r.hlen("unacked") == 0


def _statuses():
    return list(Delivery.objects.order_by("pk").values_list("status", flat=True))


def _people(n, channel=Channel.EMAIL):
    people = [UserFactory() for _ in range(n)]
    for user in people:
        PreferenceFactory(user=user, kind=KIND, channel=channel)
    return people


def _notify(people, subject):
    return services.notify(recipients=people, kind=KIND, subject=subject, text="Hi", link="/x/", actor=None)


def test_duplicate_enqueues_send_once(workers, outbox, incident):
    workers(2)
    _notify(_people(1), incident)  # committed: on_commit enqueued it once already
    (pk,) = Delivery.objects.values_list("pk", flat=True)
    services.enqueue([pk] * 5)
    _wait(lambda: _statuses() == ["sent"] and _settled(workers))
    assert sent_messages(outbox) == [f"<delivery-{pk}@opsx>"]
    assert Delivery.objects.get().attempts == 1


def test_a_send_failing_twice_then_succeeding_is_delivered_once_on_each_channel(workers, outbox, incident):
    (outbox / "fail-1").touch()
    (outbox / "fail-2").touch()
    with Receiver(fail_first=2) as receiver:
        person = _people(1, Channel.CHAT)[0]
        PersonChannelFactory(user=person, webhook_url=receiver.url)
        workers(1)
        _notify(_people(1) + [person], incident)
        _wait(lambda: _statuses() == ["sent", "sent"] and _settled(workers))
        assert len(receiver.posts) == 1 and receiver.calls == 3
    assert len(sent_messages(outbox)) == 1
    assert list(Delivery.objects.values_list("attempts", flat=True)) == [3, 3]


@pytest.mark.parametrize("pool", ["solo", "prefork"])
def test_a_worker_killed_between_claim_and_send_delivers_once_after_redelivery(workers, outbox, incident, pool):
    """solo: the whole worker dies and the message comes back after the visibility timeout; prefork: the
    pool process dies, the message is rejected back (reject_on_worker_lost) and waits out the lease."""
    (outbox / "kill-next").touch()
    workers(2, pool=pool)
    _notify(_people(1), incident)
    _wait(lambda: not (outbox / "kill-next").exists())
    _wait(lambda: _statuses() == ["sent"] and _settled(workers), timeout=60)
    delivery = Delivery.objects.get()
    assert sent_messages(outbox) == [f"<delivery-{delivery.pk}@opsx>"]
    assert delivery.attempts == 2, "the killed attempt claimed it; the second sent it"


def test_two_drains_at_once_deliver_each_lost_delivery_once(workers, outbox, incident, monkeypatch):
    people = _people(20)
    monkeypatch.setattr(services, "enqueue", lambda ids: 0)  # the crash: committed, never enqueued
    _notify(people, incident)
    monkeypatch.undo()
    assert _statuses() == ["pending"] * 20
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    Delivery.objects.update(next_attempt_at=long_ago, enqueued_at=long_ago)  # their messages are long lost
    counts = []

    def drain():
        counts.append(services.delivery_drain())
        connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 20, "each lost delivery is handed over once in all (SKIP LOCKED splits them)"
    assert services.delivery_drain() == 0, "a third drain finds them enqueued"
    workers(2)
    _wait(lambda: _statuses() == ["sent"] * 20 and _settled(workers))
    ids = sorted(sent_messages(outbox))
    assert ids == sorted(f"<delivery-{pk}@opsx>" for pk in Delivery.objects.values_list("pk", flat=True))


def test_a_rolled_back_change_sends_nothing(workers, outbox, incident):
    workers(1)
    people = _people(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(people[:1], incident)
        raise RuntimeError("the change failed")
    _notify(people[1:], incident)
    _wait(lambda: _statuses() == ["sent"] and _settled(workers))
    assert len(sent_messages(outbox)) == 1
    assert Notification.objects.get().recipient == people[1]
