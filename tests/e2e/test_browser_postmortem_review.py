"""The reviewer picker (filter box, keyboard, form error) and notifications read over htmx, in Chromium."""

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.models import Postmortem
from notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reviewer_picker_filters_and_works_from_the_keyboard(page_as, live_server, owner, teammate, leader, draft):
    page = page_as(teammate)
    page.goto(f"{live_server.url}/postmortems/{draft.pk}/")
    options = page.locator(".people-picker-option")
    assert owner.username not in page.inner_text(".people-picker-options"), "the author is left out"
    search = page.get_by_label("Filter the people below by name")
    search.fill("eri")
    assert options.filter(has_text="erin").is_visible() and not options.filter(has_text="bob").is_visible()
    assert "1 of" in page.inner_text(".people-picker-summary")
    search.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('label').textContent").strip().endswith("(erin)")
    page.keyboard.press("Space")
    assert "Selected: " in page.inner_text(".people-picker-summary") and "(erin)" in page.inner_text(
        ".people-picker-summary"
    )
    search.focus()
    search.press("Enter")  # picks the only match again (unticks it): Enter never submits from the filter box
    assert Postmortem.objects.get(pk=draft.pk).status == Postmortem.Status.DRAFT
    assert "Nobody selected yet" in page.inner_text(".people-picker-summary")
    page.click("button:text('Send for review')")
    page.wait_for_selector("#reviewers-errors >> text=Pick at least one reviewer.")
    page.get_by_label("Filter the people below by name").fill("erin")
    page.get_by_label("Filter the people below by name").press("Enter")
    page.click("button:text('Send for review')")
    page.wait_for_selector("text=Sent for review: the reviewers were notified.")
    assert list(Postmortem.objects.get(pk=draft.pk).reviewers.all()) == [leader]


def test_a_reviewer_reads_the_notification_and_the_badge_follows(page_as, live_server, owner, leader, draft):
    services.postmortem_submit(postmortem=draft, actor=owner, reviewers=[leader])
    page = page_as(leader)
    badge = page.locator("#nav-notifications")
    assert badge.get_attribute("aria-label") == "Notifications, 1 unread"
    badge.click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    page.evaluate("window.__marker = 'same page'")
    page.click("button:text('Mark read')")
    expect(page.locator("#nav-notifications .unread-count")).to_have_count(0)
    assert page.evaluate("window.__marker") == "same page", "marked read in place, without a reload"
    assert page.locator("#nav-notifications").get_attribute("aria-label") == "Notifications"
    assert Notification.objects.get(recipient=leader).read_at is not None
    page.click("text=asked you to review")
    page.wait_for_url(f"{live_server.url}/postmortems/{draft.pk}/")
