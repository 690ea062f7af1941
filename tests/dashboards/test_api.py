"""The metrics API: the same KPIs as the dashboards, for every signed-in reader, one error shape."""

from datetime import date

import pytest

from dashboards.api.serializers import KpisSerializer
from dashboards.kpis import Period, Scope, kpis

pytestmark = pytest.mark.django_db

JUNE = Period.last(30, today=date(2025, 6, 30))
ENDPOINTS = [
    "/api/v1/metrics/",
    "/api/v1/metrics/teams/",
    "/api/v1/metrics/teams/payments/",
    "/api/v1/metrics/services/",
    "/api/v1/metrics/services/checkout-api/",
]


def test_anonymous_callers_get_401(api, org):
    for url in ENDPOINTS:
        assert api.get(url).status_code == 401, url


@pytest.mark.parametrize("who", ["bob", "charlie", "erin", "ada"])
def test_every_reader_gets_the_true_totals(api_as, org, who):
    user = getattr(org, who)
    data = api_as(user).get("/api/v1/metrics/?period=30d").json()
    assert data["incidents"]["total"]["current"] == 5
    assert data["incidents"]["total"]["hidden"] == (0 if who == "ada" else 1)
    assert data == KpisSerializer(kpis(scope=Scope.organization(), period=JUNE, user=user).as_dict()).data


def test_team_and_service_dashboards(api_as, org):
    client = api_as(org.erin)
    team = client.get("/api/v1/metrics/teams/payments/?period=30d").json()
    assert team["scope"] == {"kind": "team", "slug": "payments", "name": "Payments"}
    assert team["incidents"]["total"]["current"] == 4
    assert [r["slug"] for r in team["breakdown"]["rows"]] == ["checkout-api", "payouts", "ledger"]
    service = client.get("/api/v1/metrics/services/search-api/?period=30d").json()
    assert service["incidents"]["total"]["current"] == 1 and service["breakdown"] is None
    assert client.get("/api/v1/metrics/teams/nope/").status_code == 404
    assert client.get("/api/v1/metrics/services/nope/").json()["error"]["code"] == "not_found"


def test_rows_per_team_and_per_service_are_paginated(api_as, org):
    client = api_as(org.erin)
    first = client.get("/api/v1/metrics/teams/?period=30d&page_size=1").json()
    assert first["count"] == 2 and first["previous"] is None and "page=2" in first["next"]
    assert first["results"][0]["slug"] == "payments" and first["results"][0]["score"] == 16
    assert first["results"][0]["reasons"][0] == "1 overdue postmortem"
    second = client.get(first["next"]).json()
    assert [r["slug"] for r in second["results"]] == ["search"] and second["next"] is None
    services = client.get("/api/v1/metrics/services/?period=30d&team=payments").json()
    assert services["count"] == 3 and services["results"][0]["slug"] == "checkout-api"
    everything = client.get("/api/v1/metrics/services/?period=30d").json()
    assert everything["count"] == 4


def test_bad_input_is_a_400_with_field_messages(api_as, org):
    client = api_as(org.erin)
    response = client.get("/api/v1/metrics/?period=custom&start=2025-06-10")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"end": ["A custom range needs a last day."]}
    assert client.get("/api/v1/metrics/teams/?page=x").status_code == 400
    assert client.get("/api/v1/metrics/?team=nope").json()["error"]["fields"]["team"]
