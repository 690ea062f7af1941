"""The events that notify, each from its own app's service: who hears, who never does."""

import pytest

from incidents import services as incident_services
from learning import services as learning_services
from notifications.models import Delivery, Notification
from reviews import services as review_services
from teams.permissions import TeamRole
from tests.factories import MembershipFactory, PreferenceFactory, UserFactory, make_review

pytestmark = pytest.mark.django_db
K = Notification.Kind


def _told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_assigning_an_action_item_tells_the_new_owner_not_yourself(team, owner, teammate):
    item = incident_services.action_item_create(actor=owner, team=team, title="Add alerts", owner=teammate)
    assert _told(K.ACTION_ITEM_ASSIGNED) == ["bob"]
    assert Delivery.objects.get().channel == "email", "assignments are email by default"
    incident_services.action_item_create(actor=owner, team=team, title="Mine", owner=owner)
    incident_services.action_item_update(item=item, actor=owner, data={"title": "Add more alerts"})
    assert _told(K.ACTION_ITEM_ASSIGNED) == ["bob"], "no new owner, nobody told again"
    incident_services.action_item_update(item=item, actor=teammate, data={"owner": owner})
    assert _told(K.ACTION_ITEM_ASSIGNED) == ["alice", "bob"]
    incident_services.action_item_create(actor=None, team=team, title="Imported", owner=teammate)
    assert _told(K.ACTION_ITEM_ASSIGNED) == ["alice", "bob"], "the system (imports) assigns silently"


def test_declaring_an_incident_tells_followers_of_the_team_or_service_sev1_2_by_default(
    team, service, owner, teammate, leader, outsider, sev
):
    learning_services.follow_add(user=teammate, kind="team", value=team.slug)
    learning_services.follow_add(user=leader, kind="service", value=service.slug)
    learning_services.follow_add(user=outsider, kind="service", value=service.slug)
    PreferenceFactory(user=outsider, kind=K.INCIDENT_DECLARED, channel="in_app", max_severity=4)
    learning_services.follow_add(user=owner, kind="team", value=team.slug)

    def declare(level, **kwargs):
        return incident_services.incident_create(
            actor=owner, team=team, title=f"SEV{level} thing", severity=sev[level], services=[service], **kwargs
        )

    declare(2)
    assert _told(K.INCIDENT_DECLARED) == ["bob", "charlie", "erin"], "the declarer is not told"
    Notification.objects.all().delete()
    declare(3)
    assert _told(K.INCIDENT_DECLARED) == ["charlie"], "only the follower who widened it hears of a SEV3"


def test_a_restricted_incident_tells_only_followers_allowed_to_read_it(team, owner, teammate, leader, sev):
    for user in (teammate, leader):
        learning_services.follow_add(user=user, kind="team", value=team.slug)
    named = UserFactory(username="nina")
    learning_services.follow_add(user=named, kind="team", value=team.slug)
    incident_services.incident_create(
        actor=owner, team=team, title="Breach", severity=sev[1], restricted=True, access_list=[named]
    )
    assert _told(K.INCIDENT_DECLARED) == ["nina"]


def test_asking_for_launch_sign_off_tells_the_team_leads(team, service, owner, teammate):
    second_lead = MembershipFactory(team=team, role=TeamRole.LEAD).user
    review = make_review(system=service)
    review_services.review_request_launch(review=review, actor=teammate)
    assert set(Notification.objects.filter(kind=K.SIGNOFF_REQUESTED).values_list("recipient", flat=True)) == {
        owner.pk,
        second_lead.pk,
    }
    assert Delivery.objects.filter(notification__kind=K.SIGNOFF_REQUESTED).count() == 2


def test_mentions_and_replies_in_comments_tell_only_people_who_may_read(postmortem, owner, teammate, leader, outsider):
    incident_services.postmortem_comment_add(
        postmortem=postmortem, actor=teammate, body="First thought", section="summary"
    )
    incident_services.postmortem_comment_add(
        postmortem=postmortem,
        actor=leader,
        body="Agree with @bob, and @charlie should see this. Also @nobody.",
        section="summary",
    )
    assert _told(K.MENTION) == ["bob"], "charlie may not read another team's draft"
    assert _told(K.COMMENT_REPLY) == [], "bob, mentioned, hears once"
    incident_services.postmortem_comment_add(postmortem=postmortem, actor=owner, body="Thanks both", section="summary")
    assert _told(K.COMMENT_REPLY) == ["bob", "erin"]
    assert _told(K.POSTMORTEM_COMMENTED) == ["alice", "alice"], "the owner hears of the others' comments as before"
    assert (
        Notification.objects.filter(kind=K.MENTION)
        .get()
        .link.endswith(f"#comment-{postmortem.comments.order_by('pk')[1].pk}")
    )
