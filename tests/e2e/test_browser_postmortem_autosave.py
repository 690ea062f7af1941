"""Autosave never fights the user: their own autosave never turns their Save into a conflict."""

import pytest

from incidents.models import Postmortem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _hold_autosave_responses(page):
    """Let autosave requests reach the server at once but hand their answers to the page only when released,
    so the test can press Save while an autosave is in flight (the race users hit on a slow network)."""
    held = []

    def handle(route):
        held.append((route, route.fetch()))  # the server has saved; the page does not know yet

    def release():
        while held:
            route, response = held.pop()
            route.fulfill(response=response)

    page.route("**/autosave/", handle)
    return held, release


def test_typing_autosave_then_save_at_once_is_no_conflict(page_as, live_server, owner, draft):
    page = page_as(owner)
    held, release = _hold_autosave_responses(page)
    page.goto(f"{live_server.url}/postmortems/{draft.pk}/edit/")
    page.fill("#id_summary", "The cache expired.")
    page.wait_for_timeout(2600)  # autosave runs 2 s after typing stops
    assert held, "autosave went out after typing"
    assert Postmortem.objects.get(pk=draft.pk).version == 2, "and the server saved it"
    page.type("#id_summary", " Then the database fell over.")
    saves = []
    page.on("request", lambda r: saves.append(r) if r.method == "POST" and r.url.endswith("/edit/") else None)
    page.click("button:text('Save')")  # at once, while the autosave is still on its way back
    page.wait_for_timeout(300)
    assert saves == [], "Save waits for the autosave's answer: one save at a time"
    release()
    page.wait_for_url(f"{live_server.url}/postmortems/{draft.pk}/")
    assert "Someone saved" not in page.content()
    assert "version=2" in saves[0].post_data, "Save carried the version the autosave got back"
    stored = Postmortem.objects.get(pk=draft.pk)
    assert stored.summary == "The cache expired. Then the database fell over."
    assert [r.note for r in stored.revisions.order_by("version")] == ["started", "autosave", ""]


def test_two_people_editing_still_get_the_conflict_screen(page_as, live_server, owner, teammate, draft):
    alice, bob = page_as(owner), page_as(teammate)
    for page in (alice, bob):
        page.goto(f"{live_server.url}/postmortems/{draft.pk}/edit/")
    bob.fill("#id_impact", "Bob: half of logins failed.")
    bob.click("button:text('Save')")
    bob.wait_for_url(f"{live_server.url}/postmortems/{draft.pk}/")
    alice.fill("#id_impact", "Alice: all logins failed.")
    alice.click("button:text('Save')")
    alice.wait_for_selector("text=while you were editing")
    body = alice.content()
    assert "Bob: half of logins failed." in body and "Alice: all logins failed." in body
    assert Postmortem.objects.get(pk=draft.pk).impact == "Bob: half of logins failed."
