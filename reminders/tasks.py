"""Periodic reminders and digests (scheduled hourly in opsx/celery.py).

Each task is safe to run twice at once (two beats, a redelivered message): every notice is claimed
once in PostgreSQL by its (recipient, kind, subject, period) key, and every digest once by its
(recipient, kind, period) key; the loser of a race finds the claim and sends nothing.
"""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="reminders.tasks.send_reminders",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def send_reminders() -> int:
    """The reminder sweep as of now; returns how many notifications it sent."""
    from django.utils import timezone

    from reminders.services import run_reminder_sweep

    return run_reminder_sweep(now=timezone.now()).count


@shared_task(
    name="reminders.tasks.send_digests",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def send_digests() -> int:
    """The digests whose day and hour have come (per team time zone); returns how many readers were told."""
    from django.utils import timezone

    from reminders.services import run_digests

    return run_digests(now=timezone.now()).notified
