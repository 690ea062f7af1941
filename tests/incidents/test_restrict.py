"""Restricting an incident, or lifting it, needs a lead of an owning team or an admin, on every path, and is
recorded on the timeline (read by everyone who may still see the incident) and in the audit trail."""

import re

import pytest
from django.core.exceptions import PermissionDenied

from incidents import services
from incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db


def _restrict(incident, actor, value=True):
    return services.incident_update(incident=incident, actor=actor, data={"restricted": value}, expected_version=None)


def test_a_member_may_not_restrict_a_team_incident(incident, teammate):
    with pytest.raises(PermissionDenied):
        _restrict(incident, teammate)
    incident.refresh_from_db()
    assert not incident.restricted and not incident.timeline.filter(kind=TimelineEntry.Kind.ACCESS).exists()


def test_a_member_may_not_declare_a_restricted_incident(team, teammate, sev):
    with pytest.raises(PermissionDenied, match="restricted"):
        services.incident_create(actor=teammate, team=team, title="Leak", severity=sev[1], restricted=True)
    assert not Incident.objects.exists()


def test_a_lead_restricts_and_it_is_on_the_timeline_and_in_the_trail(incident, owner, teammate):
    restricted = _restrict(incident, owner)
    entry = restricted.timeline.get(kind=TimelineEntry.Kind.ACCESS)
    assert entry.author == owner and entry.body.startswith(f"Restricted by {owner}")
    assert owner in restricted.access_list.all()  # whoever restricts keeps seeing it
    assert not Incident.objects.visible_to(teammate).filter(pk=incident.pk).exists()
    event = incident.pgh_event_model.objects.filter(pgh_obj=incident.pk, pgh_label="update").last()
    assert event.restricted is True
    lifted = _restrict(restricted, owner, False)
    assert lifted.timeline.filter(kind=TimelineEntry.Kind.ACCESS).last().body.startswith("Restriction lifted by")
    assert Incident.objects.visible_to(teammate).filter(pk=incident.pk).exists()


def test_an_admin_lifts_a_restriction_a_lead_cannot_see(restricted_incident, admin_user, outsider):
    lifted = _restrict(restricted_incident, admin_user, False)
    assert not lifted.restricted
    assert Incident.objects.visible_to(outsider).filter(pk=lifted.pk).exists()


def test_the_api_refuses_a_member_restricting(api_as, incident, teammate):
    response = api_as(teammate).patch(
        f"/api/v1/incidents/{incident.pk}/", {"restricted": True}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert not incident.restricted


def test_the_form_shows_members_the_restriction_as_fixed(client_as, incident, teammate, owner):
    url = f"/incidents/{incident.pk}/edit/"
    member_form = client_as(teammate).get(url).content.decode()
    assert "Only a team lead or an admin may restrict" in member_form
    checkbox = re.search(r'<input[^>]*name="restricted"[^>]*>', member_form).group(0)
    assert "disabled" in checkbox
    assert "Only a team lead or an admin may restrict" not in client_as(owner).get(url).content.decode()


def test_a_forged_form_post_does_not_restrict(client_as, incident, teammate):
    page = client_as(teammate).get(f"/incidents/{incident.pk}/edit/")
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"restricted": "on", "title": "Renamed", "version": incident.version})
    data = {k: ([str(x) for x in v] if isinstance(v, list) else v) for k, v in data.items()}
    client_as(teammate).post(f"/incidents/{incident.pk}/edit/", data)
    incident.refresh_from_db()
    assert not incident.restricted
