"""The list filters the dashboards link to, on data where a wrong filter would show."""

import re

import pytest

from reviews.models import Review, RiskAcceptance
from tests.dashboards.conftest import at
from tests.factories import SystemFactory, make_review

pytestmark = pytest.mark.django_db
TOTAL = re.compile(r"(\d+) total")


def titles(client, url, pattern=r'<a href="/(?:incidents|postmortems|actions|reviews)/\d+/">(?:#\d+ )?([^<]+)</a>'):
    return set(re.findall(pattern, client.get(url).content.decode()))


def test_accepted_risk_filter_tells_active_from_expiring_from_none(org, client_as, frozen):
    frozen.move_to(at(2025, 3, 1, 9))
    later = make_review(
        system=SystemFactory(team=org.payments, slug="wallet", tier=2), title="Wallet launch", lens_name="Wallet lens"
    )
    plain = make_review(system=SystemFactory(team=org.payments, slug="fx", tier=2), title="FX launch", lens_name="FX")
    Review.objects.filter(pk__in=[later.pk, plain.pk]).update(status="approved", approved_at=at(2025, 3, 2, 9))
    frozen.move_to(at(2025, 6, 30, 12))
    RiskAcceptance.objects.create(
        answer=later.answers.first(), review=later, reason="Later.", accepted_by=org.alice, expires_at=at(2025, 10, 1)
    )
    client = client_as(org.erin)
    assert titles(client, "/reviews/?status=approved&accepted=active") == {"Checkout launch", "Wallet launch"}
    assert titles(client, "/reviews/?status=approved&accepted=expiring") == {"Checkout launch"}
    assert titles(client, "/reviews/?status=approved&accepted=none") == {"FX launch"}
    response = client.get("/api/v1/reviews/?accepted=bogus")
    assert response.status_code == 400 and "accepted" in response.json()["error"]["fields"]


def test_timing_filter(org, client_as):
    client = client_as(org.ada)
    assert titles(client, "/incidents/?timing=acknowledge-known") == {
        "Checkout down",
        "Card data exposure",
        "Payment retries",
    }
    assert titles(client, "/incidents/?timing=resolve-unknown") == {"Search errors on checkout", "Slow statements"}


def test_postmortem_team_filter_includes_incidents_on_the_teams_services(org, client_as):
    from incidents.models import Postmortem

    Postmortem.objects.create(incident=org.c, required=False)  # search's incident on payments' checkout-api
    client = client_as(org.ada)
    assert "Search errors on checkout" in titles(client, "/postmortems/?team=payments")
    assert "Search errors on checkout" in titles(client, "/postmortems/?team=search")
    assert titles(client, "/postmortems/?category=change") == {"Checkout down", "Refunds slow", "Card data exposure"}
    assert titles(client, "/postmortems/?on_time=true") == {"Checkout down", "Payment retries"}


def test_action_items_of_a_service_include_those_from_its_reviews(org, client_as):
    client = client_as(org.ada)
    assert titles(client, "/actions/?service=search-api") == {"Improve: Question 0"}
    assert titles(client, "/actions/?tier=1") == {
        "Alert on pool saturation",
        "Canary config changes",
        "Rotate exposed keys",
        "Retry budget",
    }
    assert titles(client, "/actions/?closed_after=2025-06-01&closed_before=2025-06-30") == {
        "Document refunds",
        "Improve: Question 0",
    }


def test_service_review_filters(org, client_as):
    client = client_as(org.ada)
    services = r'<td><a href="/services/[\w-]+/">([^<]+)</a></td>'
    assert titles(client, "/services/?review=never", services) == {"Search API", "Payouts"}
    assert titles(client, "/services/?review=overdue", services) == {"Checkout API"}
    assert titles(client, "/services/?slug=payouts", services) == {"Payouts"}
    assert titles(client, "/reviews/?latest=true&risk=high") == {"Checkout launch", "Search readiness"}
    assert titles(client, "/reviews/?tier=2") == {"Search readiness"}
