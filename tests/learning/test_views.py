"""Library pages: search page and its htmx fragment, reading view, useful, comments, follows, most read."""

import pytest

from learning.models import EntryRead, Follow, LessonComment, UsefulMark

pytestmark = pytest.mark.django_db


def test_library_page_lists_entries_with_facets(client_as, make_entry, teammate, checkout):
    make_entry(title="Checkout timeouts during sale", services=(checkout,), tags=("database",))
    response = client_as(teammate).get("/library/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Checkout timeouts during sale" in body
    assert "Checkout API" in body and 'class="facet"' in body


def test_search_as_you_type_returns_the_results_fragment(client_as, make_entry, teammate):
    make_entry(title="Cache stampede", summary="The cache emptied at midnight.")
    make_entry(title="Certificate expiry")
    response = client_as(teammate).get("/library/?q=stampede", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="results"' in body
    assert "Cache stampede" in body and "Certificate expiry" not in body
    assert "HX-Request" in response["Vary"]


def test_facet_filter_narrows_the_page(client_as, make_entry, teammate):
    make_entry(title="Queue backlog", tags=("kafka",))
    make_entry(title="DNS outage", tags=("dns",))
    body = client_as(teammate).get("/library/?tag=dns").content.decode()
    assert "DNS outage" in body and "Queue backlog" not in body


def test_restricted_entry_is_404_and_absent_for_others(client_as, restricted_entry, teammate, leader, owner):
    for user in (teammate, leader):
        client = client_as(user)
        assert client.get(f"/library/{restricted_entry.pk}/").status_code == 404
        assert restricted_entry.title not in client.get("/library/?q=credentials").content.decode()
    assert client_as(owner).get(f"/library/{restricted_entry.pk}/").status_code == 200


def test_reading_counts_distinct_readers(client_as, make_entry, teammate, outsider):
    entry = make_entry(title="Disk full")
    for user in (teammate, teammate, outsider):
        assert client_as(user).get(f"/library/{entry.pk}/").status_code == 200
    entry.refresh_from_db()
    assert entry.read_count == 2
    assert EntryRead.objects.get(entry=entry, user=teammate).times == 2


def test_most_read_is_for_leadership_only(client_as, make_entry, teammate, leader):
    popular = make_entry(title="Popular lesson")
    make_entry(title="Quiet lesson")
    client_as(teammate).get(f"/library/{popular.pk}/")
    assert client_as(teammate).get("/library/most-read/").status_code == 403
    body = client_as(leader).get("/library/most-read/").content.decode()
    assert "Popular lesson" in body and "Quiet lesson" not in body


def test_mark_useful_toggles_over_htmx(client_as, make_entry, outsider):
    entry = make_entry(title="Useful one")
    client = client_as(outsider)
    response = client.post(f"/library/{entry.pk}/useful/", {"useful": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Useful ✓" in response.content.decode()
    client.post(f"/library/{entry.pk}/useful/", {"useful": "1"}, HTTP_HX_REQUEST="true")
    entry.refresh_from_db()
    assert entry.useful_count == 1 and UsefulMark.objects.filter(entry=entry).count() == 1
    client.post(f"/library/{entry.pk}/useful/", {"useful": "0"}, HTTP_HX_REQUEST="true")
    entry.refresh_from_db()
    assert entry.useful_count == 0


def test_comment_add_and_delete(client_as, make_entry, outsider, teammate):
    entry = make_entry(title="Comment here")
    response = client_as(outsider).post(
        f"/library/{entry.pk}/comments/", {"body": "We hit this too."}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "We hit this too." in response.content.decode()
    comment = LessonComment.objects.get(entry=entry)
    assert (
        client_as(outsider).post(f"/library/{entry.pk}/comments/", {"body": ""}, HTTP_HX_REQUEST="true").status_code
        == 200
    )
    assert LessonComment.objects.count() == 1, "an empty comment is refused"
    assert client_as(teammate).post(f"/library/comments/{comment.pk}/delete/").status_code == 403
    client_as(outsider).post(f"/library/comments/{comment.pk}/delete/")
    assert not LessonComment.objects.exists()


def test_follow_from_the_reading_view_feeds_for_you(client_as, make_entry, outsider, checkout):
    entry = make_entry(title="Checkout slow", services=(checkout,))
    make_entry(title="Something else")
    client = client_as(outsider)
    response = client.post(
        "/library/follow/", {"kind": "service", "value": "checkout-api", "next": f"/library/{entry.pk}/"}
    )
    assert response.status_code == 303 and response["Location"] == f"/library/{entry.pk}/"
    assert Follow.objects.filter(user=outsider, kind="service", value="checkout-api").exists()
    body = client.get("/library/for-you/").content.decode()
    assert "Checkout slow" in body and "Something else" not in body
    client.post("/library/follow/", {"kind": "service", "value": "no-such-service"})
    assert Follow.objects.filter(user=outsider).count() == 1


def test_following_page_follows_a_tag_nobody_has_used_yet(client_as, outsider):
    client = client_as(outsider)
    client.post("/library/follow/", {"kind": "tag", "value": "chaos-engineering"})
    assert Follow.objects.filter(user=outsider, kind="tag", value="chaos-engineering").exists()
    page = client.get("/library/following/").content.decode()
    assert "You follow tag chaos-engineering." in page and "?tag=chaos-engineering" in page


def test_anonymous_is_sent_to_login(client, make_entry):
    entry = make_entry(title="Private")
    assert client.get(f"/library/{entry.pk}/").status_code == 302
    assert client.get("/library/").status_code == 302


def test_long_facet_lists_fold_into_more(client_as, make_entry, teammate):
    for i in range(12):
        make_entry(title=f"Tagged {i}", tags=(f"tag-{i:02d}",))
    body = client_as(teammate).get("/library/").content.decode()
    assert "More (2)" in body
