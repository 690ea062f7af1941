"""`seed_bench` seeds a whole organization (small here), realistic enough for every dashboard figure."""

import io

import pytest
from django.core.management import call_command

from dashboards.kpis import Period, Scope, kpis
from incidents.models import ActionItem, Incident, Postmortem
from reviews.models import Answer, Review
from teams.models import System, Team

pytestmark = pytest.mark.django_db


def test_seed_bench_organization_options(leader):
    out = io.StringIO()
    call_command("seed_bench", teams=12, services=40, incidents=600, action_items=300, reviews=30, stdout=out)
    text = out.getvalue()
    assert "Seeded an organization of 12 teams, 40 services, 600 incidents" in text and "s." in text
    assert Team.objects.filter(slug__startswith="bench-team-").count() == 12
    assert System.objects.filter(slug__startswith="bench-service-").count() == 40
    assert Incident.objects.count() == 600 and ActionItem.objects.count() == 300 and Review.objects.count() == 30
    assert Answer.objects.filter(review__in=Review.objects.all()).count() == 30 * 28
    # Two years of history, not "now": the dashboards have something to compare.
    assert Incident.objects.filter(started_at__year__lt=Incident.objects.latest("started_at").started_at.year).exists()
    assert Postmortem.objects.filter(required=True).exists()
    k = kpis(scope=Scope.organization(), period=Period.last(365), user=leader)
    assert k.incidents.total.current > 100 and k.incidents.total.previous > 50
    assert k.action_items.closed.current > 0 and k.postmortems.completed.current > 0
    assert any(t.median.current for t in k.times)
    assert k.breakdown.total == 12


@pytest.mark.django_db(transaction=True)  # it drops and rebuilds the search index around its inserts
def test_seed_bench_still_seeds_postmortems_alone():
    out = io.StringIO()
    call_command("seed_bench", postmortems=20, teams=3, stdout=out)
    assert "Seeded 20 published postmortems" in out.getvalue()
    assert Postmortem.objects.filter(status="published").count() == 20
