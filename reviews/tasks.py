"""Periodic upkeep for readiness reviews (scheduled in opsx/celery.py)."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    name="reviews.tasks.sweep_lapsed_acceptances",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def sweep_lapsed_acceptances() -> int:
    """Reopen approved launches whose accepted risk has lapsed; returns how many were reopened.

    Pages and the API already show such a launch as reopened the moment the acceptance lapses; this
    records it (status, a decision by opsx, the notification hook). Safe to run twice at once: each
    lapse is claimed once (see `reviews.services.review_reopen_lapsed`).
    """
    from reviews.services import risk_acceptance_sweep_lapses

    return len(risk_acceptance_sweep_lapses())
