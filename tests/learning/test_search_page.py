"""SearchPage: the compiled-once statement returns exactly what the ORM query returns, for every role."""

import pytest

from learning import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(make_entry, restricted_entry):
    return [
        make_entry(title="Database failover stalled", summary="Replica promotion took too long."),
        make_entry(title="Cache stampede", summary="The database was overloaded after a cache flush."),
        make_entry(title="Certificate expiry", summary="Nothing to do with the topic."),
        restricted_entry,
    ]


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "leader", "admin_user"])
def test_fast_path_equals_the_orm_query(request, entries, persona):
    user = request.getfixturevalue(persona)
    page = selectors.SearchPage(user=user, q="database")
    fast = page[0:10]
    orm = list(page.queryset.values_list("pk", "rank")[0:10])
    assert fast == orm
    assert page.count() == len(orm)


def test_fast_path_keeps_restricted_entries_from_people_not_named(entries, owner, teammate, restricted_entry):
    named = [pk for pk, _ in selectors.SearchPage(user=owner, q="database")[0:10]]
    not_named = [pk for pk, _ in selectors.SearchPage(user=teammate, q="database")[0:10]]
    assert restricted_entry.pk in named
    assert restricted_entry.pk not in not_named
    assert set(named) - set(not_named) == {restricted_entry.pk}


def test_slices_page_through_in_rank_order(entries, teammate):
    page = selectors.SearchPage(user=teammate, q="database")
    assert page[0:1] + page[1:2] == page[0:2]
    assert len(page[0:2]) == 2


def test_filters_and_empty_queries_use_the_orm(entries, teammate, team):
    filtered = selectors.SearchPage(user=teammate, q="database", filters={"team": [team.slug]})
    assert [pk for pk, _ in filtered[0:10]] == list(filtered.queryset.values_list("pk", flat=True)[0:10])
    everything = selectors.SearchPage(user=teammate)
    assert all(rank is None for _, rank in everything[0:10]) and len(everything[0:10]) == 3
