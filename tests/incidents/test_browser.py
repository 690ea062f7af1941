"""The incident page in a real browser: one-click status and severity, and two people editing at once."""

import pytest

from incidents.models import Incident, Postmortem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_status_and_severity_change_in_one_click_and_resolving_announces_the_postmortem(
    page_as, live_server, teammate, sev2_incident
):
    page = page_as(teammate)
    page.goto(f"{live_server.url}{sev2_incident.get_absolute_url()}")
    page.click("#incident-state button[name=status][value=monitoring]")
    page.wait_for_selector("#incident-state h1 .status-monitoring")
    assert "Status changed from Investigating to Monitoring." in page.inner_text("#timeline")
    page.click("#incident-state button[name=severity][value='1']")
    page.wait_for_selector("#incident-state h1 .sev-1")
    assert "Severity changed from SEV2 to SEV1." in page.inner_text("#timeline")

    page.click("#incident-state button[name=status][value=resolved]")
    notice = page.wait_for_selector(".postmortem-notice")
    postmortem = Postmortem.objects.get(incident=sev2_incident)
    assert f"Postmortem draft created, due {postmortem.due_date:%Y-%m-%d}" in notice.inner_text()
    facts = page.inner_text("#incident-facts")
    assert "Resolved" in facts and "unknown" not in facts.split("Resolved")[1].split("Pager")[0]
    assert page.url.endswith(sev2_incident.get_absolute_url()), "never left the page"
    page.click(".postmortem-notice a")
    page.wait_for_url(f"{live_server.url}{postmortem.get_absolute_url()}")
    incident = Incident.objects.get(pk=sev2_incident.pk)
    assert (incident.status, incident.severity.name, incident.version) == ("resolved", "SEV1", 4)


def test_two_people_editing_see_both_versions_and_nothing_is_lost(page_as, live_server, owner, teammate, incident):
    edit = f"{live_server.url}/incidents/{incident.pk}/edit/"
    alice, bob = page_as(owner), page_as(teammate)
    alice.goto(edit)
    bob.goto(edit)
    alice.fill("#id_summary", "DNS resolver overloaded")
    alice.click("#main-form button[type=submit]")
    alice.wait_for_url(f"{live_server.url}{incident.get_absolute_url()}")

    bob.fill("#id_summary", "Bad deploy of the checkout service")
    bob.select_option("#id_status", "identified")
    bob.click("#main-form button[type=submit]")
    conflict = bob.wait_for_selector(".conflict")
    text = conflict.inner_text()
    assert "Someone saved version 2 while you were editing" in text
    assert "DNS resolver overloaded" in text and "Bad deploy of the checkout service" in text
    assert bob.input_value("#id_summary") == "Bad deploy of the checkout service", "Bob's text is still in the form"
    assert Incident.objects.get(pk=incident.pk).summary == "DNS resolver overloaded"

    bob.fill("#id_summary", "Bad deploy of the checkout service; DNS resolver overloaded")
    bob.click("#main-form button[type=submit]")
    bob.wait_for_url(f"{live_server.url}{incident.get_absolute_url()}")
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.summary, stored.status, stored.version) == (
        "Bad deploy of the checkout service; DNS resolver overloaded",
        "identified",
        3,
    )
