"""Comparing lens versions and previewing a review's upgrade: selector, service, pages and API."""

import re

import pytest
import yaml
from django.core.exceptions import PermissionDenied

from reviews import selectors, services
from reviews.models import LensUpgrade, Risk
from tests.factories import make_lens_yaml

HTMX = {"HTTP_HX_REQUEST": "true"}


def text_of(response) -> str:
    """A page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def save(answer, actor, selected, **kw):
    answer.refresh_from_db()
    return services.answer_update(answer=answer, actor=actor, version=answer.version, selected=selected, **kw)


def import_v2(questions: int = 7, **changes):
    """Version 2 of "Test Lens": q000 swaps choice b for zz, q003 and q004 are gone, new questions at the end."""
    text = make_lens_yaml(name="Test Lens", questions=questions)
    text = text.replace("  - id: q000_b\n", "  - id: q000_zz\n").replace(
        "condition: q000_a && q000_b", "condition: q000_a && q000_zz"
    )
    doc = yaml.safe_load(text)
    doc["pillars"][0]["questions"] = [q for q in doc["pillars"][0]["questions"] if q["id"] not in ("q003", "q004")]
    doc["pillars"][0]["questions"][1]["title"] = changes.get("q001_title", "Question 1, reworded")
    return services.lens_import(data=yaml.safe_dump(doc, sort_keys=False), actor=None, fmt="yaml").version


@pytest.fixture
def answered(answers, owner):
    save(answers["q000"], owner, ["q000_a", "q000_b"])  # no risk now; b is dropped, so medium after
    save(answers["q001"], owner, ["q001_a"], notes="kept")
    save(answers["q004"], owner, ["q004_a"], notes="about to go")
    return answers


# --- the preview and the upgrade it describes -----------------------------------------------


def test_preview_says_what_carries_over_what_is_lost_and_what_is_new_and_saves_nothing(review, answered):
    v2 = import_v2()
    review_lens = review.review_lenses.get()
    preview = selectors.upgrade_preview(review_lens=review_lens, target=v2)
    assert [c.answer.question_id for c in preview.answered] == ["q000", "q001"]
    first = preview.answered[0]
    assert (first.kept_choices, [d.id for d in first.dropped_choices]) == (["Practice A"], ["q000_b"])
    assert (first.risk_before, first.risk_after) == (Risk.NONE, Risk.MEDIUM)
    assert preview.answered[1].question_change is not None  # q001 was reworded
    assert [(lost.answer.question_id, lost.selected) for lost in preview.lost] == [("q004", ["Practice A"])]
    assert [q.id for q in preview.removed_unanswered] == ["q003"]
    assert [q.id for q in preview.new] == ["q005", "q006"]
    assert [c.answer.question_id for c in preview.affected] == ["q000", "q001"]
    review_lens.refresh_from_db()
    assert review_lens.lens_version.number == 1
    assert review.answers.count() == 5 and not LensUpgrade.objects.exists()


def test_upgrade_does_what_the_preview_showed(review, answered, owner):
    v2 = import_v2()
    review_lens = review.review_lenses.get()
    expected = selectors.upgrade_preview(review_lens=review_lens, target=v2).changes()
    upgrade = services.review_lens_upgrade(review_lens=review_lens, actor=owner)
    assert upgrade.changes == expected
    assert expected["removed"] == ["q003", "q004"] and expected["added"] == ["q005", "q006"]
    after = {a.question_id: a for a in review.answers.all()}
    assert set(after) == {"q000", "q001", "q002", "q005", "q006"}
    assert (after["q000"].selected, after["q000"].risk) == (["q000_a"], Risk.MEDIUM)
    assert after["q001"].notes == "kept"


def test_upgrade_to_the_version_previewed_not_the_newest(review, answered, owner):
    v2 = import_v2()
    import_v2(questions=9)
    upgrade = services.review_lens_upgrade(review_lens=review.review_lenses.get(), actor=owner, to_version=v2)
    assert upgrade.to_version == v2
    assert review.review_lenses.get().lens_version == v2


def test_upgrade_checks_the_actor_may_change_the_review(review, outsider):
    import_v2()
    with pytest.raises(PermissionDenied):
        services.review_lens_upgrade(review_lens=review.review_lenses.get(), actor=outsider)
    assert review.review_lenses.get().lens_version.number == 1


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "outsider", "leader"])
def test_compare_page_shows_the_changes_with_their_text(client_as, request, review, who):
    import_v2()
    page = client_as(request.getfixturevalue(who)).get("/reviews/lenses/test-lens/compare/?from=1&to=2")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Version 1 → version 2" in html
    assert "Question 1, reworded" in html and "Question 1" in html
    assert "q000_zz" in html and "q000_a &amp;&amp; q000_zz" in html
    assert 'id="diff-q001"' in html


def test_compare_page_defaults_to_the_two_newest_and_refuses_unknown_versions(client_as, teammate, review):
    import_v2()
    client = client_as(teammate)
    assert "Version 1 → version 2" in client.get("/reviews/lenses/test-lens/compare/").content.decode()
    bad = client.get("/reviews/lenses/test-lens/compare/?from=1&to=9")
    assert bad.status_code == 400
    assert "Test Lens has no version 9." in bad.content.decode()
    assert "Version 1 → version 2" not in bad.content.decode()
    detail = client.get("/reviews/lenses/test-lens/").content.decode()
    assert "/reviews/lenses/test-lens/compare/?from=1&amp;to=2" in detail


def test_compare_page_needs_sign_in(client, review):
    response = client.get("/reviews/lenses/test-lens/compare/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_review_page_links_to_the_preview_which_confirms_the_upgrade(client_as, owner, review, answered):
    import_v2()
    client = client_as(owner)
    review_lens = review.review_lenses.get()
    url = f"/reviews/{review.pk}/upgrade/{review_lens.pk}/"
    assert f"{url}?to=2" in client.get(f"/reviews/{review.pk}/").content.decode()
    page = text_of(client.get(f"{url}?to=2"))
    for text in ("2 answers carry over", "1 answer is lost", "2 new questions", "Question 4", "Upgrade to version 2"):
        assert text in page, text
    assert review_lens.lens_version.number == 1  # a GET changes nothing
    response = client.post(url, {"to": "2"})
    assert response.status_code == 303
    review_lens.refresh_from_db()
    assert review_lens.lens_version.number == 2


def test_preview_for_readers_outside_the_team_has_no_confirm_button(client_as, outsider, review):
    import_v2()
    client = client_as(outsider)
    url = f"/reviews/{review.pk}/upgrade/{review.review_lenses.get().pk}/"
    page = text_of(client.get(url))
    assert "2 new questions" in page and "Upgrade to version 2" not in page
    assert client.post(url, {"to": "2"}).status_code == 403


def test_preview_refuses_a_version_that_is_not_newer(client_as, owner, review):
    import_v2()
    client = client_as(owner)
    review_lens = review.review_lenses.get()
    url = f"/reviews/{review.pk}/upgrade/{review_lens.pk}/"
    for bad in ("1", "9", "x"):
        response = client.get(f"{url}?to={bad}")
        assert response.status_code == 400
        assert f"Test Lens has no version {bad} newer than the one this review uses." in response.content.decode()
    assert client.post(url, {"to": "1"}).status_code == 400
    review_lens.refresh_from_db()
    assert review_lens.lens_version.number == 1


def test_preview_without_a_newer_version_goes_back_to_the_review(client_as, owner, review):
    response = client_as(owner).get(f"/reviews/{review.pk}/upgrade/{review.review_lenses.get().pk}/")
    assert (response.status_code, response["Location"]) == (303, f"/reviews/{review.pk}/")


# --- API ------------------------------------------------------------------------------------


def test_api_compare_returns_the_diff_and_refuses_bad_versions(api_as, outsider, review, client):
    import_v2()
    api = api_as(outsider)
    body = api.get("/api/v1/lenses/test-lens/compare/?from=1&to=2").json()
    assert (body["before"]["number"], body["after"]["number"]) == (1, 2)
    assert [q["id"] for q in body["diff"]["questions_removed"]] == ["q003", "q004"]
    q000 = next(q for q in body["diff"]["questions_changed"] if q["id"] == "q000")
    assert q000["choices_added"] == [{"id": "q000_zz", "title": "Practice B"}]
    assert q000["rules_changed"] == [{"risk": "NO_RISK", "before": "q000_a && q000_b", "after": "q000_a && q000_zz"}]
    assert api.get("/api/v1/lenses/test-lens/compare/").json()["diff"] == body["diff"]
    bad = api.get("/api/v1/lenses/test-lens/compare/?from=0&to=abc")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {
        "from": ["Test Lens has no version 0."],
        "to": ["Test Lens has no version abc."],
    }
    assert api.get("/api/v1/lenses/nope/compare/").status_code == 404
    assert client.get("/api/v1/lenses/test-lens/compare/").status_code == 401


def test_api_upgrade_preview_and_upgrade_to_a_given_version(api_as, owner, outsider, review, answered):
    v2 = import_v2()
    import_v2(questions=9)
    url = f"/api/v1/reviews/{review.pk}/"
    preview = api_as(outsider).get(f"{url}upgrade-preview/?lens=test-lens&to=2")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["current"]["number"], body["target"]["number"]) == (1, 2)
    assert [(c["question_id"], c["selected_after"], c["risk_after"]) for c in body["carried"]] == [
        ("q000", ["q000_a"], "medium"),
        ("q001", ["q001_a"], "medium"),
    ]
    assert [(lost["question_id"], lost["has_notes"]) for lost in body["lost"]] == [("q004", True)]
    assert [q["id"] for q in body["new"]] == ["q005", "q006"]
    newest = api_as(owner).get(f"{url}upgrade-preview/?lens=test-lens").json()
    assert newest["target"]["number"] == 3
    assert api_as(owner).get(f"{url}upgrade-preview/?lens=test-lens&to=1").status_code == 400
    assert api_as(owner).get(f"{url}upgrade-preview/?lens=nope").json()["error"]["fields"] == {
        "lens": ["This review does not use that lens."]
    }
    done = api_as(owner).post(f"{url}upgrade/", {"lens": "test-lens", "to": 2}, format="json")
    assert done.status_code == 200, done.content
    assert (done.json()["upgrade"]["added"], done.json()["upgrade"]["removed"]) == (["q005", "q006"], ["q003", "q004"])
    assert review.review_lenses.get().lens_version == v2


def test_api_upgrade_preview_without_a_newer_version_is_a_conflict(api_as, owner, review):
    response = api_as(owner).get(f"/api/v1/reviews/{review.pk}/upgrade-preview/?lens=test-lens")
    assert response.status_code == 409


def test_a_lens_with_one_version_compares_with_itself(client_as, api_as, teammate, review):
    page = text_of(client_as(teammate).get("/reviews/lenses/test-lens/compare/"))
    assert "This lens has only one version so far." in page
    body = api_as(teammate).get("/api/v1/lenses/test-lens/compare/").json()
    assert (body["before"]["number"], body["after"]["number"]) == (1, 1)
    assert not any(body["diff"]["counts"].values())
