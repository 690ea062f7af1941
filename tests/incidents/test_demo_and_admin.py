import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents.models import (
    ActionItem,
    FactorCategory,
    IdempotencyKey,
    Incident,
    OrgSettings,
    Postmortem,
    PostmortemComment,
    PostmortemRevision,
    Severity,
)

pytestmark = pytest.mark.django_db


def test_seed_demo_covers_every_severity_status_stage_and_is_idempotent():
    call_command("seed_demo", "--i-understand-this-is-not-production", stdout=io.StringIO())
    counts = (Incident.objects.count(), Postmortem.objects.count(), ActionItem.objects.count())
    call_command("seed_demo", "--i-understand-this-is-not-production", stdout=io.StringIO())
    assert (Incident.objects.count(), Postmortem.objects.count(), ActionItem.objects.count()) == counts
    assert set(Incident.objects.values_list("severity__level", flat=True)) == {1, 2, 3, 4, 5}
    assert set(Incident.objects.values_list("status", flat=True)) == set(Incident.Status.values)
    assert set(Postmortem.objects.values_list("status", flat=True)) == set(Postmortem.Status.values)
    assert set(ActionItem.objects.values_list("status", flat=True)) == set(ActionItem.Status.values)
    secret = Incident.objects.get(restricted=True)
    assert secret.team.slug == "identity" and secret.access_list.filter(username="frank").exists()
    for incident in Incident.objects.all():
        incident.full_clean()  # demo times obey the timestamp rules


@pytest.mark.parametrize(
    "model",
    [OrgSettings, FactorCategory, Postmortem, PostmortemRevision, PostmortemComment, IdempotencyKey, Severity],
)
def test_admin_lists_every_model(client_as, admin_user, model, published):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    OrgSettings.current()
    opts = model._meta
    client = client_as(admin_user)
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    first = model.objects.first()
    if first is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
        assert client.get(url).status_code == 200
