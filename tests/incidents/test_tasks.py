from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import IdempotencyKey
from incidents.tasks import purge_idempotency_keys
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_purge_forgets_only_expired_idempotency_keys(team, teammate, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    incident = IncidentFactory(team=team)
    old = IdempotencyKey.objects.create(user=teammate, key="old", fingerprint="x" * 64, incident=incident)
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    fresh = IdempotencyKey.objects.create(user=teammate, key="fresh", fingerprint="y" * 64, incident=incident)
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [fresh.key]
