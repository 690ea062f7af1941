"""The follow-up loop in a real browser: "New action item" from every page that offers it, a refusal
on the way (the link must survive it), then the item listed on the page it was made from."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import ActionItem
from tests.factories import ACTION_ITEM_ORIGINS as ORIGINS
from tests.factories import action_item_sources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def records(service, owner):
    return action_item_sources(system=service, actor=owner)


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
