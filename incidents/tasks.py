"""Periodic upkeep for incidents (scheduled in opsx/celery.py)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(name="incidents.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget `Idempotency-Key`s older than IDEMPOTENCY_KEY_TTL_HOURS; returns how many were deleted.

    A retry after that window creates a new incident unless it also carries the same `external_id`,
    which stays unique forever.
    """
    from incidents.models import IdempotencyKey

    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
