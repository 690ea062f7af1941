"""Answering in a real browser: keyboard only, saved over htmx, counts updated without a reload."""

import os
import shutil

import pytest

from reviews.models import Answer
from tests.factories import make_review

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM), reason="needs Chromium"),
]


@pytest.fixture
def page(live_server, owner, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM runs beside Playwright's event loop
    owner.set_password("pw")
    owner.save()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", owner.username)
        page.fill("input[name=password]", "pw")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        yield page
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_keyboard_answering_saves_and_updates_counts(page, live_server, service):
    review = make_review(system=service, questions=5)
    answer = review.answers.get(question_id="q000")
    page.goto(f"{live_server.url}{review.get_absolute_url()}")
    assert "0 of 5" in page.inner_text("#review-summary")
    page.focus(f"#q-{answer.pk} input[value=q000_no]")
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('#review-summary').innerText.includes('1 of 5')")
    assert "1 high" in page.inner_text("#review-summary")
    assert page.input_value(f"#q-{answer.pk}-version") == "2"
    assert page.inner_text(f"#q-{answer.pk}-risk").strip() == "High risk"
    # Two more changes in a row: each uses the version the previous save returned, so neither is refused.
    page.uncheck(f"#q-{answer.pk} input[value=q000_no]")
    page.wait_for_function(f"document.querySelector('#q-{answer.pk}-version').value === '3'")
    page.check(f"#q-{answer.pk} input[value=q000_a]")
    page.check(f"#q-{answer.pk} input[value=q000_b]")
    page.wait_for_function("document.querySelector('#review-summary').innerText.includes('1 ok')")
    fresh = Answer.objects.get(pk=answer.pk)
    assert (fresh.selected, fresh.risk) == (["q000_a", "q000_b"], "none")
    assert page.url.endswith(review.get_absolute_url())  # never left the page
