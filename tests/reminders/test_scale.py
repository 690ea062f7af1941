"""Sweeps and digests cost the same number of queries for 3 teams as for 30."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from learning.models import Follow
from reminders.models import ReminderSettings
from reminders.services import run_digests, run_reminder_sweep
from reviews.models import Decision, Review
from teams.permissions import TeamRole
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    MembershipFactory,
    PostmortemFactory,
    SystemFactory,
    TeamFactory,
    UserFactory,
)


def _organization(n, now, start):
    """n teams of a lead and two members, each with due work, incidents (one restricted) and a postmortem."""
    for i in range(start, start + n):
        team = TeamFactory(name=f"Scale {i}", slug=f"scale-{i}")
        lead = UserFactory(username=f"lead{i}")
        MembershipFactory(user=lead, team=team, role=TeamRole.LEAD)
        members = [UserFactory(username=f"member{i}-{j}") for j in range(2)]
        for member in members:
            MembershipFactory(user=member, team=team)
        Follow.objects.create(user=members[0], kind="tag", value="database", label="database")
        service = SystemFactory(name=f"Scale service {i}", slug=f"scale-service-{i}", team=team, tier=2)
        open_incident = IncidentFactory(team=team, started_at=now - timedelta(days=2))
        open_incident.services.add(service)
        hidden = IncidentFactory(team=team, restricted=True, started_at=now - timedelta(days=3))
        hidden.access_list.add(members[1])
        resolved = IncidentFactory(
            team=team, started_at=now - timedelta(days=4), resolved_at=now - timedelta(days=3),
            status=Incident.Status.RESOLVED,
        )  # fmt: skip
        PostmortemFactory(incident=resolved, owner=members[0], due_date=now.date() - timedelta(days=3))
        ActionItemFactory(team=team, owner=members[0], due_date=now.date() - timedelta(days=4), incident=open_incident)
        ActionItemFactory(team=team, owner=members[1], due_date=now.date() + timedelta(days=1), incident=hidden)
        ActionItemFactory(team=team, owner=None, due_date=now.date() - timedelta(days=1))
        review = Review.objects.create(title=f"Launch {i}", system=service, team=team, status=Review.Status.REQUESTED)
        Decision.objects.create(review=review, kind=Decision.Kind.REQUESTED, actor=lead)


def _warm():
    """Content types are cached per process after their first use; warm them so both runs compare alike."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_models(*apps.get_models())
    ReminderSettings.current()


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


@pytest.mark.django_db
def test_reminder_sweep_queries_do_not_grow_with_teams(now, leader, admin_user):
    _warm()
    _organization(3, now, 0)
    small, result = _count(lambda: run_reminder_sweep(now=now))
    assert result.count > 3 * 4
    Incident.objects.all().delete()  # start again with ten times the teams
    _organization(30, now, 100)
    large, result = _count(lambda: run_reminder_sweep(now=now + timedelta(days=1)))
    assert result.count > 30 * 4
    assert large == small, (small, large)


@pytest.mark.django_db
def test_digest_queries_do_not_grow_with_teams(now, leader, admin_user):
    _warm()
    _organization(3, now, 0)
    small, result = _count(lambda: run_digests(now=now, only_due=False))
    assert result.notified == 3 * 3 * 2 + 2  # team and personal for each member, leadership for erin and ada
    week_later = now + timedelta(days=7)
    _organization(27, week_later, 100)  # the same kind of week for the new teams
    large, result = _count(lambda: run_digests(now=week_later, only_due=False))
    assert result.notified == 30 * 3 * 2 + 2
    assert large == small, (small, large)


@pytest.mark.django_db
def test_visibility_for_many_readers_matches_visible_to(now, leader, admin_user):
    """The batched rule gives, reader by reader, the same rows as `visible_to`."""
    from incidents.models import ActionItem, Postmortem
    from teams.models import User
    from teams.permissions import visibility_for

    _organization(3, now, 0)
    PostmortemFactory(incident=IncidentFactory(team=TeamFactory(), started_at=now))  # a draft of another team
    readers = list(User.objects.all())
    for model in (Incident, ActionItem, Postmortem):
        ids = list(model.objects.values_list("pk", flat=True))
        vis = visibility_for(model, readers, ids)
        for reader in readers:
            expected = set(model.objects.visible_to(reader).values_list("pk", flat=True))
            assert set(vis.readable(reader.pk, ids)) == expected, (model, reader)
