"""Tasks of the delivery outbox: each is an API for a service in notifications.services."""

from celery import shared_task
from django.conf import settings


@shared_task(
    name="notifications.tasks.delivery_send",
    acks_late=True,
    # Safe because the send claims its row first: a message redelivered after its worker died is
    # either the first try (the lease ran out) or finds the row sent and does nothing.
    reject_on_worker_lost=True,
    time_limit=settings.NOTIFY_SEND_TIME_LIMIT,
    soft_time_limit=max(settings.NOTIFY_SEND_TIME_LIMIT - 5, 1),
)
def delivery_send_task(delivery_id: int) -> None:
    """Send one delivery (claimed first); a retry or a leased row is looked at again later."""
    from notifications import services

    wait = services.delivery_send(delivery_id=delivery_id)
    if wait is not None:
        delivery_send_task.apply_async((delivery_id,), countdown=wait)


@shared_task(name="notifications.tasks.drain_deliveries")
def drain_deliveries_task() -> int:
    """Beat, every minute: enqueue pending deliveries whose on_commit enqueue was lost."""
    from notifications import services

    return services.delivery_drain()
