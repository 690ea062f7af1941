"""The follow-up loop in a real browser: "New action item" from every page that offers it, a refusal
on the way (the link must survive it), then the item listed on the page it was made from."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.defaults import ensure_factor_categories, ensure_severities
from incidents.models import ActionItem
from reviews import services as review_services
from reviews.defaults import ensure_defaults
from tests.factories import make_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORIGINS = {
    "incident": "incident",
    "postmortem": "postmortem",
    "review_answer": "review",
    "game_day": "game_day",
    "game_day_finding": "game_day",
}


@pytest.fixture
def records(service, owner):
    ensure_defaults()
    ensure_factor_categories()
    sev = ensure_severities()
    incident = services.incident_create(actor=owner, team=service.team, title="Pool exhausted", severity=sev[3])
    postmortem = services.postmortem_start(incident=incident, actor=owner)
    review = make_review(system=service, questions=3)
    answer = review.answers.get(question_id="q001")
    answer = review_services.answer_update(answer=answer, actor=owner, version=answer.version, selected=["q001_no"])
    game_day = review_services.game_day_create(
        review=review, actor=owner, title="Zone drain", held_on=timezone.localdate(), scenario="Drain zone b"
    )
    finding = review_services.finding_create(game_day=game_day, actor=owner, description="Alert fired late")
    return {
        "incident": incident,
        "postmortem": postmortem,
        "review_answer": answer,
        "game_day": game_day,
        "game_day_finding": finding,
    }


@pytest.mark.parametrize("kind", list(ORIGINS))
def test_new_action_item_from_each_page_is_listed_there(page_as, live_server, teammate, records, kind):
    record = records[kind]
    page_url = f"{live_server.url}{record.get_absolute_url()}".split("#")[0]
    page = page_as(teammate)
    page.goto(page_url)
    page.click(f'a[href="/actions/new/?{kind}={record.pk}"]')
    page.wait_for_selector("#main-form")
    title = f"Follow up on {kind}"
    page.fill("#id_title", title)
    page.fill("#id_due_date", (timezone.localdate() - timedelta(days=1)).isoformat())
    page.click("#main-form button[type=submit]")
    page.wait_for_selector("#due_date-errors >> text=The due date is in the past.")
    assert page.locator(f'#main-form input[type=hidden][name="{kind}"]').get_attribute("value") == str(record.pk)
    assert not ActionItem.objects.exists()
    page.fill("#id_due_date", (timezone.localdate() + timedelta(days=7)).isoformat())
    page.click("#main-form button[type=submit]")
    page.wait_for_url(f"{page_url}*")
    page.wait_for_selector(f"text={title}")
    item = ActionItem.objects.get(title=title)
    assert (item.origin, item.source) == (ORIGINS[kind], record)
    page.get_by_role("link", name=title).first.click()
    page.wait_for_selector("#item-source")
    assert page.get_attribute("#item-source", "href") == record.get_absolute_url()
