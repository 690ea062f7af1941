"""The history panel in a real browser: a one-click change shows up, with its author and source, when the
panel is opened (htmx loads it on the first toggle)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_opening_the_history_panel_shows_the_change_just_made(page_as, live_server, teammate, incident):
    page = page_as(teammate)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.click("#incident-state button[name=status][value=monitoring]")
    page.wait_for_selector("#incident-state h1 .status-monitoring")
    page.click("details.history-panel > summary")
    page.wait_for_selector(".history-panel .history-list li")
    newest = page.inner_text(".history-panel .history-list li:nth-child(1)")
    change = page.inner_text(".history-panel .history-list li:nth-child(2)")
    assert "Timeline entry created: Status changed from Investigating to Monitoring." in newest
    assert "Incident changed" in change and f"{teammate} via browser" in change
    assert "Investigating → Monitoring" in change.replace("\n", " ")
