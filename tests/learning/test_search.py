"""Library search: indexing, ranking, facets and their counts, restricted exclusion, snippets."""

import pytest
from django.db import connection

from incidents import services as incident_services
from incidents.models import Postmortem
from learning import selectors
from learning.models import EntryFacet, LibraryEntry
from tests.factories import SystemFactory, published_postmortem

pytestmark = pytest.mark.django_db


def ids(queryset):
    return [e.pk for e in queryset]


def test_publishing_indexes_and_only_published_postmortems_are_listed(make_entry, team, teammate):
    entry = make_entry(title="Payment retries doubled charges")
    assert entry.search_vector is not None if connection.vendor == "postgresql" else True
    draft = incident_services.postmortem_start(
        incident=incident_services.incident_create(
            actor=None, team=team, title="Draft only", severity=entry.incident.severity
        ),
        actor=None,
    )
    assert not LibraryEntry.objects.filter(postmortem=draft).exists()
    assert ids(selectors.library_search(user=teammate)) == [entry.pk]


def test_ranking_puts_title_above_summary_above_body(make_entry, teammate):
    in_body = make_entry(title="Slow deploys", response="The cache stampede made the database slow.")
    in_title = make_entry(title="Cache stampede after a deploy")
    in_summary = make_entry(title="Checkout errors", summary="A cache stampede overloaded the database.")
    make_entry(title="Unrelated certificate expiry")
    result = ids(selectors.library_search(user=teammate, q="cache stampede"))
    assert result == [in_title.pk, in_summary.pk, in_body.pk]


def test_the_words_as_a_phrase_outrank_the_words_far_apart(make_entry, teammate):
    far_in_title = make_entry(title="Rate of retries grew until the pool hit its limit")
    far_in_body = make_entry(
        title="Checkout errors", response="The error rate doubled, then the connection pool reached its limit."
    )
    phrase_in_body = make_entry(title="Partner API outage", response="We hit the partner's rate limit at noon.")
    phrase_in_summary = make_entry(title="Login failures", summary="A rate limit on the identity provider.")
    make_entry(title="Rate of deploys", summary="Nothing else matches.")
    result = ids(selectors.library_search(user=teammate, q="rate limit"))
    assert result[:2] == [phrase_in_summary.pk, phrase_in_body.pk], "phrases first, summary above body"
    assert set(result[2:]) == {far_in_title.pk, far_in_body.pk}
    ranks = dict(selectors.SearchPage(user=teammate, q="rate limit")[0:10])
    assert ranks[phrase_in_body.pk] > ranks[far_in_title.pk], "a phrase in the body beats the words apart in the title"


def test_slash_separated_names_are_words_of_their_own(make_entry, teammate):
    entry = make_entry(title="Session store migration", summary="We moved sessions from S3/DynamoDB to Redis.")
    make_entry(title="Unrelated certificate expiry")
    queries = ["s3", "S3", "dynamodb", "s3/dynamodb"]
    if connection.vendor == "postgresql":
        queries.append('"s3 dynamodb"')  # adjacent words of their own (substring matching has no phrases across "/")
    for q in queries:
        assert ids(selectors.library_search(user=teammate, q=q)) == [entry.pk], q
    snippet = selectors.snippets_for(entry_ids=[entry.pk], q="s3")[entry.pk]
    assert "<mark>S3</mark>/DynamoDB" in snippet, "the snippet shows the text as written"


def test_websearch_syntax_and_stemming(make_entry, teammate):
    failing = make_entry(title="Failovers failing under load")
    make_entry(title="Certificate expired", summary="The failover test was fine.")
    assert ids(selectors.library_search(user=teammate, q="failover -certificate")) == [failing.pk]


def test_facets_count_matches_within_query_and_filters(make_entry, teammate, team, other_team, checkout):
    other_service = SystemFactory(name="Search Indexer", slug="search-indexer", team=other_team)
    make_entry(title="Database failover one", services=(checkout,), tags=("database",), categories=("capacity",))
    make_entry(title="Database failover two", services=(checkout,), tags=("database", "dns"), severity=1)
    make_entry(
        team=other_team,
        title="Database failover three",
        services=(other_service,),
        tags=("database",),
        categories=("capacity", "change"),
    )
    make_entry(title="Certificate expiry", tags=("tls",))

    results = selectors.library_search(user=teammate, q="database failover")
    facets = selectors.library_facets(results=results)
    counts = {kind: {v.value: v.count for v in values} for kind, values in facets.items()}
    assert counts["team"] == {"payments": 2, "search": 1}
    assert counts["service"] == {"checkout-api": 2, "search-indexer": 1}
    assert counts["tag"] == {"database": 3, "dns": 1}
    assert counts["category"] == {"capacity": 2, "change": 1}
    assert counts["severity"] == {"1": 1, "2": 2}
    assert sum(counts["year"].values()) == 3

    filters = {"team": ["payments"], "tag": ["dns"]}
    narrowed = selectors.library_search(user=teammate, q="database failover", filters=filters)
    assert [e.title for e in narrowed] == ["Database failover two"]
    facets = selectors.library_facets(results=narrowed, filters=filters)
    assert {v.value: (v.count, v.selected) for v in facets["tag"]} == {"database": (1, False), "dns": (1, True)}


def test_restricted_entries_are_hidden_from_results_and_facet_counts(
    restricted_entry, make_entry, teammate, owner, leader, admin_user
):
    make_entry(title="Database pool exhausted", tags=("database",))
    for user in (teammate, leader):
        results = selectors.library_search(user=user, q="database")
        assert restricted_entry.pk not in ids(results)
        tags = {v.value: v.count for v in selectors.library_facets(results=results)["tag"]}
        assert tags == {"database": 1}, "a restricted incident must not leak through facet counts"
    for user in (owner, admin_user):
        assert restricted_entry.pk in ids(selectors.library_search(user=user, q="database"))


def test_restricting_an_incident_later_removes_it_for_outsiders(make_entry, teammate, owner):
    entry = make_entry(title="Token service outage")
    incident_services.incident_update(
        incident=entry.incident, actor=owner, data={"restricted": True}, expected_version=None
    )
    assert ids(selectors.library_search(user=teammate)) == []
    assert ids(selectors.library_search(user=owner)) == [entry.pk]


def test_editing_a_published_postmortem_reindexes_it(make_entry, teammate):
    entry = make_entry(title="Queue backlog")
    postmortem = Postmortem.objects.get(pk=entry.postmortem_id)
    incident_services.postmortem_save(
        postmortem=postmortem,
        actor=None,
        data={"lessons": "Alert on consumer lag before the backlog grows."},
        expected_version=postmortem.version,
    )
    assert ids(selectors.library_search(user=teammate, q="consumer lag")) == [entry.pk]


def test_incident_tag_change_updates_facets(make_entry, owner):
    entry = make_entry(title="Queue backlog", tags=("queue",))
    incident_services.incident_update(
        incident=entry.incident, actor=owner, data={"tags": ["kafka"]}, expected_version=None
    )
    assert set(EntryFacet.objects.filter(entry=entry, kind="tag").values_list("value", flat=True)) == {"kafka"}


def test_snippets_highlight_terms_and_escape_html(make_entry, teammate):
    entry = make_entry(
        title="Script injection review",
        summary="The payload <img src=x onerror=alert(1)> reached the rendering cache during the incident.",
    )
    snippet = selectors.snippets_for(entry_ids=[entry.pk], q="payload rendering cache")[entry.pk]
    assert "<img" not in snippet
    assert "&lt;img" in snippet
    assert "<mark>" in snippet and "cache</mark>" in snippet.lower()


def test_reindex_rebuilds_missing_entries(make_entry, team):
    from learning.indexing import reindex_all

    entry = make_entry(title="Lost entry")
    postmortem_id = entry.postmortem_id
    LibraryEntry.objects.all().delete()
    indexed, removed = reindex_all()
    assert indexed == 1 and removed == 0
    assert LibraryEntry.objects.get(postmortem_id=postmortem_id).title == "Lost entry"


def test_published_postmortem_helper_is_in_the_library(team):
    postmortem = published_postmortem(team=team, title="Helper check")
    assert LibraryEntry.objects.filter(postmortem=postmortem).exists()


def test_gin_index_exists_only_on_postgresql(db):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'learning_entry_search_gin'")
            assert "USING gin (search_vector)" in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'learning_entry_search_gin'")
            assert cursor.fetchone()[0] == 0


def test_search_uses_the_gin_index_when_the_planner_must_choose(make_entry, teammate):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL plan")
    make_entry(title="Planner check")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = selectors.library_search(user=teammate, q="planner").explain()
    assert "learning_entry_search_gin" in plan


def test_a_selected_kind_is_counted_without_its_own_filter(make_entry, teammate, team, checkout):
    make_entry(title="Database failover one", services=(checkout,), tags=("database",))
    make_entry(title="Database failover two", services=(checkout,), tags=("database", "dns"), severity=1)
    make_entry(title="Database failover three", tags=("database", "tls"), severity=3)

    search = selectors.SearchPage(user=teammate, q="database failover", filters={"tag": ["dns"]})
    counts = {kind: {v.value: (v.count, v.selected) for v in values} for kind, values in search.facets().items()}
    # Tags are counted over the query without the tag filter: choosing "tls" as well would add one entry.
    assert counts["tag"] == {"database": (3, False), "dns": (1, True), "tls": (1, False)}
    # Other kinds follow every filter: only "two" has the dns tag.
    assert counts["severity"] == {"1": (1, False)}
    assert counts["service"] == {"checkout-api": (1, False)}


def test_facet_counts_still_hide_restricted_entries_when_a_kind_is_selected(restricted_entry, make_entry, teammate):
    make_entry(title="Database pool exhausted", tags=("database",))
    search = selectors.SearchPage(user=teammate, q="database", filters={"tag": ["database"]})
    tags = {v.value: v.count for v in search.facets()["tag"]}
    assert tags == {"database": 1}, "the restricted incident's tags must not be counted"
