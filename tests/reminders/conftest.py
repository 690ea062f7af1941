"""A fixed data set for reminders and digests: two teams, a restricted incident, follows, due work.

NOW is the last Monday at 10:00 UTC; the digest week is the seven days before it.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, Postmortem
from learning.models import Follow
from notifications.models import Notification
from reviews.models import Decision, Review
from teams.permissions import TeamRole
from tests.factories import ActionItemFactory, IncidentFactory, MembershipFactory, SystemFactory, UserFactory


def last_monday():
    now = timezone.now()
    monday = (now - timedelta(days=now.weekday())).replace(hour=10, minute=0, second=0, microsecond=0)
    return monday if monday <= now else monday - timedelta(days=7)


@pytest.fixture
def now():
    return last_monday()


@pytest.fixture
def dave(team):
    """A plain member of `team`, named on the restricted incident."""
    user = UserFactory(username="dave")
    MembershipFactory(user=user, team=team, role=TeamRole.MEMBER)
    return user


def _published(incident, *, at, tags=()):
    from incidents.models import Tag

    for name in tags:
        incident.tags.add(Tag.objects.get_or_create(name=name)[0])
    return Postmortem.objects.create(incident=incident, status=Postmortem.Status.PUBLISHED, published_at=at)


@pytest.fixture
def world(now, team, other_team, owner, teammate, outsider, dave, leader, admin_user):
    """The fixed data set; returns its objects by name (see the module docstring of test_digests)."""
    d = {}
    today = now.date()
    d["i1"] = IncidentFactory(
        title="Checkout down", team=team, started_at=now - timedelta(days=3),
        resolved_at=now - timedelta(days=3) + timedelta(hours=2), status=Incident.Status.RESOLVED,
    )  # fmt: skip
    d["i2"] = IncidentFactory(
        title="Card data exposure", team=team, restricted=True, started_at=now - timedelta(days=2)
    )
    d["i2"].access_list.add(dave)
    d["i3"] = IncidentFactory(title="Search slow", team=other_team, started_at=now - timedelta(days=4))
    d["i4"] = IncidentFactory(title="Old outage", team=team, started_at=now - timedelta(days=20))
    d["i5"] = IncidentFactory(
        title="Leaked index", team=other_team, restricted=True, started_at=now - timedelta(days=1, hours=12)
    )
    d["p1"] = _published(d["i3"], at=now - timedelta(days=1), tags=["database"])
    d["p5"] = _published(d["i5"], at=now - timedelta(days=1), tags=["database"])
    Follow.objects.create(user=teammate, kind="tag", value="database", label="database")
    d["a1"] = ActionItemFactory(
        title="Add checkout alert", team=team, owner=teammate, due_date=today - timedelta(days=2), incident=d["i1"]
    )
    d["a2"] = ActionItemFactory(
        title="Rotate card keys", team=team, owner=teammate, due_date=today - timedelta(days=1), incident=d["i2"]
    )
    d["a3"] = ActionItemFactory(title="Write runbook", team=team, owner=owner, due_date=today + timedelta(days=2))
    d["a4"] = ActionItemFactory(
        title="Tune search cache", team=other_team, owner=outsider, due_date=today - timedelta(days=5)
    )
    d["service"] = SystemFactory(name="Checkout API", slug="checkout-api", team=team, tier=1)
    d["review"] = Review.objects.create(
        title="Checkout launch", system=d["service"], team=team, status=Review.Status.REQUESTED,
        requested_at=now - timedelta(days=1),
    )  # fmt: skip
    Decision.objects.create(review=d["review"], kind=Decision.Kind.REQUESTED, actor=teammate)
    # Unread notifications of the week: one about a readable item, one about the restricted incident.
    from django.contrib.contenttypes.models import ContentType

    for subject, text in ((d["a1"], "You were assigned Add checkout alert"), (d["i2"], "Card data exposure declared")):
        Notification.objects.create(
            recipient=teammate, kind=Notification.Kind.ACTION_ITEM_ASSIGNED,
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk, text=text,
            link=subject.get_absolute_url(), created_at=now - timedelta(days=2),
        )  # fmt: skip
    return d
