"""The permission rule itself (teams.permissions), independent of any view."""

import pytest
from django.contrib.auth.models import AnonymousUser

from incidents.models import ActionItem, Incident
from teams import permissions
from teams.models import System, Team
from teams.permissions import Action
from tests.factories import ActionItemFactory, IncidentFactory, SystemFactory

pytestmark = pytest.mark.django_db


def test_anonymous_sees_nothing(service):
    assert not System.objects.visible_to(AnonymousUser()).exists()
    assert not permissions.can(AnonymousUser(), Action.VIEW, service)


def test_every_signed_in_user_reads_unrestricted_records(service, owner, outsider, leader):
    for user in (owner, outsider, leader):
        assert list(System.objects.visible_to(user)) == [service]
        assert permissions.can(user, Action.VIEW, service)


def test_team_members_change_their_own_teams_records(service, owner, teammate, outsider, leader, admin_user):
    assert permissions.can(teammate, Action.CHANGE, service)
    assert permissions.can(owner, Action.CHANGE, service)
    assert not permissions.can(outsider, Action.CHANGE, service)
    assert not permissions.can(leader, Action.CHANGE, service), "leadership reads, but does not change"
    assert permissions.can(admin_user, Action.CHANGE, service)


def test_only_leads_approve_and_delete(service, owner, teammate):
    assert permissions.can(owner, Action.APPROVE, service)
    assert not permissions.can(teammate, Action.APPROVE, service)
    assert permissions.can(owner, Action.DELETE, service)
    assert not permissions.can(teammate, Action.DELETE, service)


def test_team_creation_is_for_admins_and_team_edits_for_leads(team, owner, teammate, admin_user):
    assert not permissions.can_create(owner, Team, [])
    assert permissions.can_create(admin_user, Team, [])
    assert permissions.can(owner, Action.CHANGE, team)
    assert not permissions.can(teammate, Action.CHANGE, team)


def test_creating_a_service_needs_membership_of_its_team(team, other_team, teammate):
    assert permissions.can_create(teammate, System, [team.pk])
    assert not permissions.can_create(teammate, System, [other_team.pk])


def test_leadership_member_of_a_team_changes_that_teams_records(team, leader):
    from tests.factories import MembershipFactory

    MembershipFactory(user=leader, team=team)
    system = SystemFactory(team=team)
    assert permissions.can(leader, Action.CHANGE, system)


def test_restricted_record_is_visible_only_to_named_people_and_admins(team, owner, teammate, leader, admin_user):
    incident = IncidentFactory(team=team, restricted=True)
    incident.access_list.add(teammate)
    visible = {
        u.username: Incident.objects.visible_to(u).filter(pk=incident.pk).exists()
        for u in (owner, teammate, leader, admin_user)
    }
    assert visible == {"alice": False, "bob": True, "erin": False, "ada": True}
    assert not permissions.can(owner, Action.CHANGE, incident), "team lead not named: cannot even see it"
    assert permissions.can(teammate, Action.CHANGE, incident)


def test_restriction_follows_to_dependent_records(team, teammate, outsider):
    incident = IncidentFactory(team=team, restricted=True)
    item = ActionItemFactory(team=team, incident=incident)
    loose = ActionItemFactory(team=team)  # no incident: not restricted
    assert list(ActionItem.objects.visible_to(outsider)) == [loose]
    incident.access_list.add(outsider)
    assert set(ActionItem.objects.visible_to(outsider)) == {loose, item}


def test_affected_service_teams_also_change_an_incident(team, other_team, outsider):
    incident = IncidentFactory(team=team)
    assert not permissions.can(outsider, Action.CHANGE, incident)
    incident.services.add(SystemFactory(team=other_team))
    assert permissions.can(outsider, Action.CHANGE, incident)
    assert Incident.objects.visible_to(outsider).count() == 1, "multi-valued path must not duplicate rows"


def test_get_for_gives_404_to_those_who_cannot_see_and_403_to_those_who_cannot_change(team, owner, outsider):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    incident = IncidentFactory(team=team, restricted=True)
    incident.access_list.add(owner)
    assert permissions.get_for(owner, Incident, Action.CHANGE, pk=incident.pk) == incident
    with pytest.raises(Http404):
        permissions.get_for(outsider, Incident, pk=incident.pk)
    incident.restricted = False
    incident.save()
    with pytest.raises(PermissionDenied):
        permissions.get_for(outsider, Incident, Action.CHANGE, pk=incident.pk)


def test_inactive_users_are_treated_as_anonymous(service, teammate):
    teammate.is_active = False
    teammate.save()
    assert not permissions.can(teammate, Action.VIEW, service)
