"""Answering in a real browser: keyboard only, saved over htmx, counts updated without a reload."""

import pytest
from playwright.sync_api import expect

from reviews.models import Answer
from tests.factories import make_review

pytestmark = pytest.mark.browser


@pytest.fixture
def page(page_as, owner):
    return page_as(owner)


@pytest.mark.django_db(transaction=True)
def test_keyboard_answering_saves_and_updates_counts(page, live_server, service):
    review = make_review(system=service, questions=5)
    answer = review.answers.get(question_id="q000")
    page.goto(f"{live_server.url}{review.get_absolute_url()}")
    assert "0 of 5" in page.inner_text("#review-summary")
    page.focus(f"#q-{answer.pk} input[value=q000_no]")
    page.keyboard.press("Space")
    expect(page.locator("#review-summary")).to_contain_text("1 of 5")
    assert "1 high" in page.inner_text("#review-summary")
    assert page.input_value(f"#q-{answer.pk}-version") == "2"
    assert page.inner_text(f"#q-{answer.pk}-risk").strip() == "High risk"
    # Two more changes in a row: each uses the version the previous save returned, so neither is refused.
    page.uncheck(f"#q-{answer.pk} input[value=q000_no]")
    expect(page.locator(f"#q-{answer.pk}-version")).to_have_value("3")
    page.check(f"#q-{answer.pk} input[value=q000_a]")
    page.check(f"#q-{answer.pk} input[value=q000_b]")
    expect(page.locator("#review-summary")).to_contain_text("1 ok")
    fresh = Answer.objects.get(pk=answer.pk)
    assert (fresh.selected, fresh.risk) == (["q000_a", "q000_b"], "none")
    assert page.url.endswith(review.get_absolute_url())  # never left the page


@pytest.mark.django_db(transaction=True)
def test_none_of_these_and_practices_untick_each_other(page, live_server, service):
    review = make_review(system=service, questions=5)
    answer = review.answers.get(question_id="q000")
    page.goto(f"{live_server.url}{review.get_absolute_url()}")
    none = f"#q-{answer.pk} input[value=q000_no]"
    practice = f"#q-{answer.pk} input[value=q000_a]"
    page.check(none)
    expect(page.locator(f"#q-{answer.pk}-version")).to_have_value("2")
    page.check(practice)
    assert not page.is_checked(none), "ticking a practice unticks 'None of these'"
    expect(page.locator(f"#q-{answer.pk}-version")).to_have_value("3")
    assert Answer.objects.get(pk=answer.pk).selected == ["q000_a"]
    page.check(none)
    assert not page.is_checked(practice), "ticking 'None of these' unticks the practices"
    expect(page.locator(f"#q-{answer.pk}-version")).to_have_value("4")
    assert Answer.objects.get(pk=answer.pk).selected == ["q000_no"]
