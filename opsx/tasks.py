"""Project-wide tasks."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "opsx:worker-heartbeat"


@shared_task(name="opsx.tasks.heartbeat")
def heartbeat(token: str = "") -> str:
    """Record that a worker is alive (and, when given, which request reached it).

    /healthz and the Celery round-trip test read this back; beat runs it every five minutes.
    """
    from opsx.models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.create(token=token[:64])
    cache.set(HEARTBEAT_KEY, beat.created_at.isoformat(), timeout=None)
    WorkerHeartbeat.objects.filter(created_at__lt=timezone.now() - timezone.timedelta(days=1)).delete()
    logger.info("worker heartbeat", extra={"token": token})
    return beat.created_at.isoformat()
