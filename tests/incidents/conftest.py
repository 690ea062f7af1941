"""Fixtures for incidents, postmortems and action items (personas come from tests/conftest.py)."""

import pytest
from django.utils import timezone

from incidents import services
from incidents.defaults import ensure_factor_categories, ensure_severities


@pytest.fixture(autouse=True)
def _defaults(db):
    """Severities and factor categories exist (transactional tests flush the migration's rows)."""
    ensure_factor_categories()
    return ensure_severities()


@pytest.fixture
def sev(_defaults):
    return _defaults


@pytest.fixture
def incident(team, service, owner, sev):
    return services.incident_create(
        actor=owner,
        team=team,
        title="Checkout errors after deploy",
        severity=sev[3],
        services=[service],
        started_at=timezone.now() - timezone.timedelta(hours=2),
        commander=owner,
    )


@pytest.fixture
def sev2_incident(team, owner, sev):
    """An open SEV2 of `team`: resolving it creates a required postmortem."""
    return services.incident_create(
        actor=owner,
        team=team,
        title="Card payments failing",
        severity=sev[2],
        started_at=timezone.now() - timezone.timedelta(hours=1),
    )


@pytest.fixture
def restricted_incident(other_team, sev, admin_user):
    """A security incident of another team; only `named` (and admins) may see it."""
    from tests.factories import UserFactory

    named = UserFactory(username="nina")
    return services.incident_create(
        actor=admin_user,
        team=other_team,
        title="Suspicious logins",
        severity=sev[1],
        restricted=True,
        access_list=[named],
        started_at=timezone.now() - timezone.timedelta(hours=1),
    )


@pytest.fixture
def named(restricted_incident):
    return restricted_incident.access_list.get(username="nina")


@pytest.fixture
def postmortem(incident, owner):
    """A draft postmortem of `team`'s incident."""
    return services.postmortem_start(incident=incident, actor=owner)


@pytest.fixture
def published(postmortem, owner, leader):
    services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": "Summary."}, expected_version=postmortem.version
    )
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader])
    services.postmortem_approve(postmortem=postmortem, actor=leader)
    return services.postmortem_publish(postmortem=postmortem, actor=owner, confirm=True)


@pytest.fixture
def action_item(team, teammate, incident):
    from incidents.models import ActionItem

    return services.action_item_create(
        actor=teammate, team=team, title="Add a canary stage", origin=ActionItem.Origin.INCIDENT, incident=incident
    )
