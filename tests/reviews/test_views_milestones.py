"""Milestone pages and the comparison the page and the API share."""

import re

import pytest

from reviews import selectors, services
from reviews.models import Milestone
from tests.factories import SystemFactory, make_review


def save(answer, actor, selected, **kw):
    answer.refresh_from_db()
    return services.answer_update(answer=answer, actor=actor, version=answer.version, selected=selected, **kw)


@pytest.fixture
def ten(service):
    """A 10-question review, so that every risk count can differ."""
    return make_review(system=service, questions=10, lens_name="Ten Lens")


def answer(review, qid):
    return review.answers.select_related("review_lens__lens_version").get(question_id=qid)


def count_row(page, risk):
    row = re.search(rf'<tr class="count-{risk}">(.*?)</tr>', page, re.S)
    assert row, f"no row for {risk}"
    return [int(n) for n in re.findall(r'<td class="num">(?:<span class="muted">)?([+-]?\d+)', row.group(1))]


def test_counts_are_printed_under_their_own_risk(client_as, owner, ten):
    first = services.milestone_create(review=ten, actor=owner, name="Empty")
    # high 1, medium 2, none 3, unanswered 4, not applicable 0: no two counts alike.
    save(answer(ten, "q000"), owner, ["q000_no"])
    for qid in ("q001", "q002"):
        save(answer(ten, qid), owner, [f"{qid}_a"])
    for qid in ("q003", "q004", "q005"):
        save(answer(ten, qid), owner, [f"{qid}_a", f"{qid}_b"])
    second = services.milestone_create(review=ten, actor=owner, name="Answered")
    page = client_as(owner).get(f"/reviews/{ten.pk}/milestones/?a={first.pk}&b={second.pk}").content.decode()
    assert count_row(page, "high") == [0, 1, 1]
    assert count_row(page, "medium") == [0, 2, 2]
    assert count_row(page, "none") == [0, 3, 3]
    assert count_row(page, "unanswered") == [10, 4, -6]
    assert count_row(page, "na") == [0, 0, 0]
    order = re.findall(r'<tr class="count-(\w+)">', page)
    assert order == ["high", "medium", "unanswered", "none", "na"]


def test_milestones_of_another_review_are_refused_on_the_page_like_the_api(client_as, api_as, owner, review, team):
    mine = services.milestone_create(review=review, actor=owner, name="Mine")
    other_review = make_review(system=SystemFactory(team=team, name="Ledger"), title="Ledger review")
    theirs = services.milestone_create(review=other_review, actor=owner, name="Theirs")
    url = f"/reviews/{review.pk}/milestones/"
    response = client_as(owner).get(f"{url}?a={mine.pk}&b={theirs.pk}")
    page = response.content.decode()
    assert response.status_code == 400
    assert "These milestones cannot be compared" in page and "Both milestones must belong to the same review" in page
    assert 'id="comparison"' not in page
    response = client_as(owner).get(f"{url}?a={theirs.pk}&b={mine.pk}")
    assert response.status_code == 400 and "is a milestone of another review" in response.content.decode()
    assert client_as(owner).get(f"{url}?a={mine.pk}&b=999999").status_code == 400
    assert client_as(owner).get(f"{url}?a={mine.pk}&b=x").status_code == 400
    api = api_as(owner).get(f"/api/v1/milestones/compare/?a={mine.pk}&b={theirs.pk}")
    assert api.status_code == 400 and "same review" in api.json()["error"]["fields"]["b"][0]
    assert client_as(owner).get(f"{url}?a={mine.pk}&b={mine.pk}").status_code == 200


def test_notes_and_evidence_changes_are_reported(client_as, api_as, owner, review):
    first = services.milestone_create(review=review, actor=owner, name="Before")
    save(answer(review, "q000"), owner, [], notes="Runbook lives in the wiki")
    save(answer(review, "q001"), owner, [], evidence_links=["https://grafana.example.com/d/slo"])
    second = services.milestone_create(review=review, actor=owner, name="After")
    diff = selectors.milestone_compare(first.snapshot, second.snapshot)
    changes = {c["question_id"]: c for c in diff["changes"]}
    assert set(changes) == {"q000", "q001"}
    assert changes["q000"]["changed"] == ["notes"]
    assert (changes["q000"]["before"]["notes"], changes["q000"]["after"]["notes"]) == ("", "Runbook lives in the wiki")
    assert changes["q001"]["changed"] == ["evidence"]
    assert changes["q001"]["after"]["evidence_links"] == ["https://grafana.example.com/d/slo"]
    page = client_as(owner).get(f"/reviews/{review.pk}/milestones/?a={first.pk}&b={second.pk}").content.decode()
    assert "Runbook lives in the wiki" in page and 'href="https://grafana.example.com/d/slo"' in page
    assert ">notes</td>" in page and ">evidence</td>" in page
    api = api_as(owner).get(f"/api/v1/milestones/compare/?a={first.pk}&b={second.pk}").json()
    assert {c["question_id"]: c["changed"] for c in api["changes"]} == {"q000": ["notes"], "q001": ["evidence"]}
    assert api["changes"][0]["after"]["notes"] == "Runbook lives in the wiki"
    assert [row["risk"] for row in api["counts"]] == ["high", "medium", "unanswered", "none", "na"]


def test_older_snapshots_without_evidence_do_not_report_it(review, owner):
    save(answer(review, "q000"), owner, [], evidence_links=["https://example.com/e"])
    first = services.milestone_create(review=review, actor=owner, name="Old")
    old = dict(first.snapshot)
    for lens in old["lenses"]:
        for a in lens["answers"]:
            a.pop("evidence_links")
    Milestone.objects.filter(pk=first.pk).update(snapshot=old)
    second = services.milestone_create(review=review, actor=owner, name="New")
    first.refresh_from_db()
    assert selectors.milestone_compare(first.snapshot, second.snapshot)["changes"] == []


def test_milestone_page_shows_titles_and_labels_not_ids(client_as, outsider, owner, review):
    save(answer(review, "q000"), owner, ["q000_a", "q000_b"], notes="**Tested** monthly")
    save(answer(review, "q001"), owner, ["q001_no"], evidence_links=["https://example.com/drill"])
    save(answer(review, "q002"), owner, [], not_applicable=True, na_reason="Batch only")
    milestone = services.milestone_create(review=review, actor=owner, name="Pre-launch")
    response = client_as(outsider).get(f"/reviews/{review.pk}/milestones/{milestone.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<li>Practice A</li><li>Practice B</li>" in page and "<li>None of these</li>" in page
    assert "q000_a" not in page and "q001_no" not in page
    assert ">No risk</span>" in page and ">High risk</span>" in page and ">Not applicable</span>" in page
    assert ">Unanswered</span>" in page
    assert "the review was then: <strong>In progress</strong>" in page
    assert "<strong>Tested</strong> monthly" in page and 'href="https://example.com/drill"' in page
    assert "Not applicable:</span> Batch only" in page


def test_choice_changes_are_marked_by_title(client_as, owner, review):
    save(answer(review, "q000"), owner, ["q000_a"])
    first = services.milestone_create(review=review, actor=owner, name="Half")
    save(answer(review, "q000"), owner, ["q000_b"])
    second = services.milestone_create(review=review, actor=owner, name="Other half")
    (change,) = selectors.milestone_compare(first.snapshot, second.snapshot)["changes"]
    assert change["changed"] == ["risk", "choices"]
    assert (change["choices_removed"], change["choices_added"]) == (["Practice A"], ["Practice B"])
    page = client_as(owner).get(f"/reviews/{review.pk}/milestones/?a={first.pk}&b={second.pk}").content.decode()
    assert 'class="diff-del" title="no longer selected">Practice A<' in page
    assert 'class="diff-add" title="newly selected">Practice B<' in page
    assert ">Medium risk</span> → <span" in page and ">High risk</span>" in page
