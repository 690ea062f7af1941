"""Related incidents, follows and "for you", useful marks and read counts (services and selectors)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from learning import selectors, services
from learning.models import Follow
from tests.factories import SystemFactory

pytestmark = pytest.mark.django_db


def test_related_are_ranked_by_shared_services_categories_and_tags(make_entry, teammate, checkout, team):
    payouts = SystemFactory(name="Payouts", slug="payouts", team=team)
    entry = make_entry(
        title="Checkout latency spike",
        services=(checkout, payouts),
        tags=("database",),
        categories=("capacity", "change"),
    )
    both_services = make_entry(title="Ledger drift", services=(checkout, payouts))  # 3 + 3
    service_and_category = make_entry(title="Refund errors", services=(checkout,), categories=("capacity",))  # 3 + 2
    tag_only = make_entry(title="Report export slow", tags=("database",))  # 1
    make_entry(title="Unrelated TLS expiry", tags=("tls",))
    related = selectors.related_entries(user=teammate, entry=entry)
    assert [r.entry.pk for r in related] == [both_services.pk, service_and_category.pk, tag_only.pk]
    assert related[0].reasons == ["same services: Checkout API, Payouts"]
    assert related[1].reasons == ["same service: Checkout API", "same contributing factor: Capacity"]
    assert related[2].reasons == ["same tag: database"]


def test_similar_wording_counts_and_is_explained(make_entry, teammate):
    entry = make_entry(title="Replication slot filled the disk")
    similar = make_entry(title="Replication lag after failover")
    make_entry(title="Unrelated login outage")
    related = selectors.related_entries(user=teammate, entry=entry)
    assert [r.entry.pk for r in related] == [similar.pk]
    assert related[0].reasons == ["similar wording"]


def test_related_never_includes_restricted_for_outsiders(make_entry, restricted_entry, teammate, owner):
    entry = make_entry(title="Database credentials rotation", tags=("database", "security"))
    assert restricted_entry.pk not in [r.entry.pk for r in selectors.related_entries(user=teammate, entry=entry)]
    assert restricted_entry.pk in [r.entry.pk for r in selectors.related_entries(user=owner, entry=entry)]


def test_follow_validates_target_and_is_idempotent(teammate, checkout):
    follow = services.follow_add(user=teammate, kind="service", value="checkout-api")
    assert follow.label == "Checkout API"
    assert services.follow_add(user=teammate, kind="service", value="checkout-api").pk == follow.pk
    with pytest.raises(ValidationError):
        services.follow_add(user=teammate, kind="service", value="nope")
    with pytest.raises(ValidationError):
        services.follow_add(user=teammate, kind="planet", value="mars")
    assert Follow.objects.filter(user=teammate).count() == 1


def test_a_tag_nobody_has_used_yet_can_be_followed_ahead_of_time(make_entry, teammate):
    follow = services.follow_add(user=teammate, kind="tag", value=" Rate-Limiting ")
    assert (follow.value, follow.label) == ("rate-limiting", "rate-limiting"), "spelled as incidents store tags"
    assert list(selectors.for_you(user=teammate)) == []
    entry = make_entry(title="Partner API throttled us", tags=("rate-limiting",))
    assert list(selectors.for_you(user=teammate)) == [entry]
    with pytest.raises(ValidationError) as refused:
        services.follow_add(user=teammate, kind="tag", value="rate limiting")
    assert "value" in refused.value.message_dict
    assert Follow.objects.filter(user=teammate).count() == 1


def test_for_you_matches_any_follow_kind_and_respects_permissions(
    make_entry, restricted_entry, outsider, other_team, checkout
):
    by_tag = make_entry(title="Kafka lag", tags=("kafka",))
    by_team = make_entry(team=other_team, title="Search index stale")
    by_category = make_entry(title="Pool config", categories=("configuration",))
    make_entry(title="Nothing followed")
    assert list(selectors.for_you(user=outsider)) == []
    services.follow_add(user=outsider, kind="tag", value="kafka")
    services.follow_add(user=outsider, kind="team", value="search")
    services.follow_add(user=outsider, kind="category", value="configuration")
    services.follow_add(user=outsider, kind="tag", value="security")  # only the restricted entry has it
    assert {e.pk for e in selectors.for_you(user=outsider)} == {by_tag.pk, by_team.pk, by_category.pk}


def test_useful_reads_and_comment_counters(make_entry, teammate, outsider):
    entry = make_entry(title="Counters")
    services.useful_mark(entry=entry, user=teammate)
    services.useful_mark(entry=entry, user=teammate)
    services.useful_mark(entry=entry, user=outsider)
    assert services.useful_unmark(entry=entry, user=outsider).useful_count == 1
    assert services.entry_record_read(entry=entry, user=teammate) is True
    assert services.entry_record_read(entry=entry, user=teammate) is False
    comment = services.comment_add(entry=entry, author=outsider, body="  Useful.  ")
    assert comment.body == "Useful."
    with pytest.raises(ValidationError):
        services.comment_add(entry=entry, author=outsider, body="   ")
    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=comment, actor=teammate)
    entry.refresh_from_db()
    assert (entry.useful_count, entry.read_count, entry.comment_count) == (1, 1, 1)


def test_most_read_orders_by_readers(make_entry, teammate, outsider, leader):
    once = make_entry(title="Read once")
    twice = make_entry(title="Read twice")
    make_entry(title="Never read")
    for user in (teammate, outsider):
        services.entry_record_read(entry=twice, user=user)
    services.entry_record_read(entry=once, user=teammate)
    assert [e.pk for e in selectors.most_read(user=leader)] == [twice.pk, once.pk]
    assert selectors.can_see_reading_stats(leader) and not selectors.can_see_reading_stats(teammate)
