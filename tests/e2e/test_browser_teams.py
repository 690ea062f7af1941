import pytest
from playwright.sync_api import expect

from teams.models import Membership, Team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_adds_a_member_over_htmx_without_reload(page_as, live_server, team, owner, outsider):
    page = page_as(owner)
    page.goto(f"{live_server.url}/teams/{team.slug}/")
    page.evaluate("window.__marker = 'same page'")
    page.select_option("#members select[name=user]", outsider.username)
    page.click("#members button[type=submit]")
    page.wait_for_selector(f"#members >> text={outsider.display_name}")
    assert page.evaluate("window.__marker") == "same page", "the list updated in place, without a reload"
    assert Membership.objects.filter(team=team, user=outsider).exists()


def test_inline_validation_shows_errors_while_typing(page_as, live_server, admin_user):
    page = page_as(admin_user)
    page.goto(f"{live_server.url}/teams/new/")
    page.fill("#id_timezone", "Mars/Olympus")
    page.locator("#id_timezone").dispatch_event("change")
    page.wait_for_selector("#timezone-errors >> text=is not a known time zone")
    assert not Team.objects.filter(timezone="Mars/Olympus").exists()


def test_search_as_you_type_filters_the_team_list(page_as, live_server, team, other_team, owner):
    page = page_as(owner)
    page.goto(f"{live_server.url}/teams/")
    page.fill("input[name=q]", "sear")
    expect(page.locator("#results")).not_to_contain_text("Payments")
    assert "Search" in page.inner_text("#results")
    assert "q=sear" in page.url, "the filter is in the address bar, so the view can be shared"
