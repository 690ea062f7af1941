"""In a real browser: leadership opens its home dashboard, filters by team over htmx (the URL follows),
and drills down to that team's overdue action items."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents import services
from incidents.defaults import ensure_severities
from incidents.models import ActionItem

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_leadership_filters_by_team_and_drills_down_to_overdue_action_items(
    page_as, live_server, leader, team, other_team
):
    sev = ensure_severities()
    now = timezone.now()
    for owner_team, title in (
        (team, "Payments follow-up"),
        (other_team, "Search follow-up"),
        (other_team, "Search second follow-up"),
    ):
        incident = services.incident_create(
            actor=None,
            team=owner_team,
            title=f"{title} incident",
            severity=sev[2],
            started_at=now - timezone.timedelta(days=3),
            status="resolved",
            resolved_at=now - timezone.timedelta(days=2),
        )
        services.action_item_create(
            actor=None,
            team=owner_team,
            title=title,
            origin=ActionItem.Origin.INCIDENT,
            incident=incident,
            due_date=timezone.localdate() - timezone.timedelta(days=1),
            allow_past_due=True,
        )
    page = page_as(leader)  # signs in and lands on the home page: the organization dashboard
    assert page.inner_text("h1") == "Organization dashboard"
    overdue = "#kpi-action_items_overdue .kpi-value a"
    assert page.inner_text(overdue) == "3"

    team_filter = "text=Team >> xpath=following-sibling::details[1]/summary"
    page.click(team_filter)
    page.check(f"input[name=team][value={team.slug}]")
    expect(page.locator(overdue)).to_have_text("1")  # (wait_for_function would need eval, which the CSP forbids)
    assert f"team={team.slug}" in page.url  # the filtered view is a shareable link
    assert page.locator("h1").count() == 1  # the fragment replaced the dashboard, not the page

    page.click(team_filter)  # closes the dropdown (Pico: a click anywhere lands on its summary)
    assert page.locator("details.dropdown[open]").count() == 0
    page.click(overdue)
    page.wait_for_url("**/actions/?**")
    assert "overdue=true" in page.url and f"team={team.slug}" in page.url
    rows = page.locator("#results tbody tr").all_inner_texts()
    assert len(rows) == 1 and "Payments follow-up" in rows[0] and "Overdue" in rows[0]
    assert "1 total" in page.inner_text("#results")
