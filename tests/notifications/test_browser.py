"""The settings and outbox pages in a real browser: htmx saves a preference in place; the outbox retries a
failed delivery in its row. Screenshots at 1280 and 390 px go to $SCREENSHOT_DIR when it is set."""

import os
from pathlib import Path

import pytest

from notifications import services
from notifications.models import Delivery, Preference
from tests.factories import TeamChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shots(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_lead_changes_a_preference_in_place(page_as, live_server, owner, team):
    TeamChannelFactory(team=team)
    page = page_as(owner)
    page.goto(f"{live_server.url}/notifications/settings/")
    _shots(page, "notification-settings")
    page.select_option("#id_mention-channel", "chat")
    page.click("#preferences button[type=submit]")
    page.wait_for_selector("#preferences .flash-success")
    assert Preference.objects.get(user=owner, kind="mention").channel == "chat"
    assert "…cret" in page.inner_text("#teams")


def test_an_admin_retries_a_failed_delivery(page_as, live_server, admin_user, teammate, postmortem):
    services.notify(recipients=[teammate], kind="mention", subject=postmortem, text="Look", link="/", actor=None)
    Delivery.objects.update(status="failed", attempts=5, last_error="SMTPServerDisconnected: gone")
    page = page_as(admin_user)
    page.goto(f"{live_server.url}/notifications/deliveries/")
    _shots(page, "deliveries")
    page.click("#results button:has-text('Retry')")
    page.wait_for_selector("#results .status-pending")
    assert Delivery.objects.get().status in ("pending", "sent")
