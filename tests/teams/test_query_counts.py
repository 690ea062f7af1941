"""Lists run a fixed number of queries whatever the page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import MembershipFactory, SystemFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _make(n):
    for _ in range(n):
        team = TeamFactory()
        SystemFactory(team=team)
        MembershipFactory(team=team)


@pytest.mark.parametrize(
    "url_name", ["teams:team-list", "teams:service-list", "api:team-list", "api:service-list", "api:membership-list"]
)
def test_list_query_count_does_not_grow_with_rows(client_as, owner, url_name):
    client = client_as(owner)
    _make(5)
    small = _count(client, reverse(url_name), {"page_size": 50})
    _make(45)
    large = _count(client, reverse(url_name), {"page_size": 50})
    assert small == large, f"{url_name}: {small} queries at 5 rows, {large} at 50"
