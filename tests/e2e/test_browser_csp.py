"""Under the Content-Security-Policy, in Chromium: htmx keeps working (search as you type, live preview), the
API docs render, and the only thing the browser blocks is a remote image in user Markdown."""

import pytest
from playwright.sync_api import expect

from incidents import services
from tests.factories import published_postmortem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.effectiveDirective + " " + (e.blockedURI || "inline"));
});
"""


def violations(page):
    return page.evaluate("window.__csp")


def test_htmx_works_and_nothing_is_blocked(page_as, live_server, owner, draft):
    page = page_as(owner)
    page.add_init_script(RECORD_VIOLATIONS)
    other = services.incident_create(
        actor=owner, team=draft.incident.team, title="Queue backlog", severity=draft.incident.severity
    )
    page.goto(f"{live_server.url}/incidents/")
    assert "htmx" in page.evaluate("typeof htmx === 'object' ? 'htmx' : 'none'")
    page.fill("form.filters input[name=q]", "queue")
    expect(page.locator("#results")).not_to_contain_text("Login errors")
    assert other.title in page.inner_text("#results")

    page.goto(f"{live_server.url}/postmortems/{draft.pk}/edit/")
    page.fill("#id_lessons", "**Budget** retries per request")
    page.locator("#id_lessons").dispatch_event("keyup")
    page.wait_for_selector("#preview-lessons strong >> text=Budget")
    assert violations(page) == []


def test_api_docs_render_under_the_policy(page_as, live_server, owner):
    page = page_as(owner)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "opsx API" in page.inner_text(".swagger-ui .info .title")
    assert violations(page) == []


def test_a_remote_image_in_markdown_is_blocked(page_as, live_server, owner, team):
    pm = published_postmortem(team=team, title="Pixel", lessons="Read this ![x](http://127.0.0.2:9/pixel.gif)")
    page = page_as(owner)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/library/{pm.library_entry.pk}/")
    expect(page.locator("img[alt=x]")).to_have_count(1)
    page.wait_for_timeout(500)  # the blocked load is reported asynchronously
    assert violations(page) == ["img-src http://127.0.0.2:9/pixel.gif"]


def test_the_admin_keeps_to_the_policy(page_as, live_server, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    page = page_as(admin_user)
    page.add_init_script(RECORD_VIOLATIONS)
    for path in ("/admin/", "/admin/teams/user/", f"/admin/teams/user/{admin_user.pk}/change/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert violations(page) == [], path
