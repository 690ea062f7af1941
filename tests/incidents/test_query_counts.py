"""Lists (pages and API) cost the same number of queries for 5 rows as for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.models import ActionItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_rows(team, service, owner, teammate, leader, sev):
    def make(n):
        for i in range(n):
            incident = services.incident_create(
                actor=owner,
                team=team,
                title=f"Incident {i}",
                severity=sev[1 + i % 5],
                services=[service],
                tags=[f"tag-{i % 3}", "shared"],
                commander=teammate,
            )
            postmortem = services.postmortem_start(incident=incident, actor=owner)
            if i % 2:
                services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader, teammate])
            services.action_item_create(
                actor=owner,
                team=team,
                title=f"Action {i}",
                origin=ActionItem.Origin.POSTMORTEM,
                owner=teammate,
                incident=incident,
                source=postmortem,
            )

    return make


# (page, a marker that appears once per row)
PAGES = [
    ("incidents:incident-list", '<td class="num">'),
    ("incidents:postmortem-list", '<span class="pill pm-'),
    ("incidents:action-item-list", '<tr id="item-'),
    ("incidents:action-item-mine", '<tr id="item-'),
    ("incidents:action-item-team", '<tr id="item-'),
]
API = ["/api/v1/incidents/", "/api/v1/postmortems/", "/api/v1/action-items/"]


def _count(func):
    with CaptureQueriesContext(connection) as ctx:
        response = func()
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("url_name,marker", PAGES)
def test_list_pages_run_a_fixed_number_of_queries(client_as, teammate, make_rows, url_name, marker):
    client = client_as(teammate)
    url = reverse(url_name)
    make_rows(5)
    client.get(url)  # warm the session and the content-type cache
    five, response = _count(lambda: client.get(url, {"per_page": 100}))
    assert response.content.decode().count(marker) == 5
    make_rows(45)
    fifty, response = _count(lambda: client.get(url, {"per_page": 100}))
    assert response.content.decode().count(marker) == 50
    assert fifty == five, f"{url_name}: {five} queries for 5 rows, {fifty} for 50"


@pytest.mark.parametrize("url", API)
def test_api_lists_run_a_fixed_number_of_queries(api_as, teammate, make_rows, url):
    client = api_as(teammate)
    make_rows(5)
    client.get(url)
    five, response = _count(lambda: client.get(url, {"page_size": 100}))
    assert len(response.json()["results"]) == 5
    make_rows(45)
    fifty, response = _count(lambda: client.get(url, {"page_size": 100}))
    assert len(response.json()["results"]) == 50
    assert fifty == five, f"{url}: {five} queries for 5 rows, {fifty} for 50"
