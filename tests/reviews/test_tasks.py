"""The beat sweep that records reopened launches."""

from datetime import timedelta

import time_machine

from reviews.models import Decision, Review
from reviews.tasks import sweep_lapsed_acceptances
from tests.factories import approve_with_accepted_risk


def test_sweep_task_reopens_once_and_is_scheduled(review, owner, outsider):
    from opsx.celery import app

    _, acceptance = approve_with_accepted_risk(review, lead=owner, outsider=outsider, days=3)
    assert sweep_lapsed_acceptances() == 0
    with time_machine.travel(acceptance.expires_at + timedelta(seconds=1), tick=False):
        assert sweep_lapsed_acceptances() == 1
        assert sweep_lapsed_acceptances() == 0
    assert Review.objects.get(pk=review.pk).status == Review.Status.REOPENED
    assert Decision.objects.filter(review=review, kind=Decision.Kind.REOPENED).count() == 1
    entry = app.conf.beat_schedule["sweep-lapsed-acceptances"]
    assert entry["task"] == sweep_lapsed_acceptances.name
    assert 0 < entry["options"]["expires"] < 10 * 60  # expires before the next run is due
