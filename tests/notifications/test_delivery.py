"""The outbox: notify() writes deliveries by preference; sends claim first, retry, fail, and respect access."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident
from notifications import services
from notifications.models import Channel, Delivery, Notification, Timing
from tests.factories import PersonChannelFactory, PreferenceFactory, TeamChannelFactory
from tests.notifications.webhook import Receiver

pytestmark = pytest.mark.django_db

KIND = Notification.Kind.POSTMORTEM_COMMENTED


@pytest.fixture(autouse=True)
def _fast_retries(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 0
    settings.NOTIFY_MAX_ATTEMPTS = 3


def _notify(recipients, subject, kind=KIND, **kwargs):
    return services.notify(
        recipients=recipients, kind=kind, subject=subject, text="Hello.", link="/x/", actor=None, **kwargs
    )


def _send_all():
    for pk in Delivery.objects.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True):
        services.delivery_send(delivery_id=pk)


def test_defaults_write_an_email_delivery_for_assignments_and_nothing_for_in_app_kinds(postmortem, teammate):
    _notify([teammate], postmortem, kind=Notification.Kind.ACTION_ITEM_ASSIGNED)
    _notify([teammate], postmortem, kind=KIND)
    assert Notification.objects.filter(recipient=teammate).count() == 2
    (delivery,) = Delivery.objects.all()
    assert (delivery.channel, delivery.status, delivery.notification.kind) == (
        "email",
        "pending",
        "action_item_assigned",
    )


def test_deliveries_are_enqueued_after_commit_only(postmortem, teammate, django_capture_on_commit_callbacks):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.EMAIL)
    with django_capture_on_commit_callbacks() as callbacks:
        _notify([teammate], postmortem)
    assert len(callbacks) == 1, "one enqueue callback, run at commit"


def test_a_rolled_back_change_writes_no_delivery_and_enqueues_nothing(
    postmortem, teammate, django_capture_on_commit_callbacks
):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.EMAIL)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        _notify([teammate], postmortem)
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not Delivery.objects.exists() and not Notification.objects.exists()


def test_off_tells_nothing_and_bundled_is_suppressed_for_the_digest(postmortem, teammate, leader):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.OFF)
    PreferenceFactory(user=leader, kind=KIND, channel=Channel.EMAIL, timing=Timing.DIGEST)
    created = _notify([teammate, leader], postmortem)
    assert [n.recipient for n in created] == [leader], "in the app (and so in the digest) for the bundled one"
    (delivery,) = Delivery.objects.all()
    assert (delivery.status, delivery.reason) == ("suppressed", "digest")
    _send_all()
    assert mail.outbox == []


def test_a_paused_person_or_team_gets_nothing(postmortem, team, teammate, leader):
    PersonChannelFactory(user=teammate, paused=True)
    assert [n.recipient for n in _notify([teammate, leader], postmortem)] == [leader]
    TeamChannelFactory(team=team, paused=True)
    assert _notify([leader], postmortem, kind=Notification.Kind.MENTION) == []
    assert Notification.objects.count() == 1


def test_email_has_both_parts_a_one_click_unsubscribe_and_is_recorded_sent(postmortem, teammate):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.EMAIL)
    _notify([teammate], postmortem)
    _send_all()
    (message,) = mail.outbox
    assert message.to == [teammate.email] and message.subject == "[opsx] Hello."
    html = message.alternatives[0][0]
    assert "Hello." in message.body and "Hello." in html
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http") and "/unsubscribe/" in unsubscribe and unsubscribe in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.claim_token) == ("sent", 1, None)
    assert delivery.sent_at is not None


def test_a_kind_with_its_own_template_uses_it_and_others_fall_back(postmortem, teammate, settings, tmp_path):
    (tmp_path / "notifications" / "email").mkdir(parents=True)
    (tmp_path / "notifications" / "email" / "mention.txt").write_text("MENTION {{ recipient.username }}")
    (tmp_path / "notifications" / "email" / "mention.html").write_text("<b>MENTION</b>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    _notify([teammate], postmortem, kind=Notification.Kind.MENTION)
    _notify([teammate], postmortem, kind=Notification.Kind.SIGNOFF_REQUESTED)
    _send_all()
    bodies = sorted(m.body for m in mail.outbox)
    assert bodies[0].startswith("Hello") and bodies[1] == "MENTION bob"


def test_a_second_send_of_the_same_delivery_sends_nothing(postmortem, teammate):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.EMAIL)
    _notify([teammate], postmortem)
    pk = Delivery.objects.get().pk
    assert services.delivery_send(delivery_id=pk) is None
    assert services.delivery_send(delivery_id=pk) is None
    assert len(mail.outbox) == 1


def test_a_leased_delivery_is_not_sent_by_another_task_which_is_told_when_to_look_again(postmortem, teammate):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.EMAIL)
    _notify([teammate], postmortem)
    pk = Delivery.objects.get().pk
    claimed, _ = services.delivery_claim(delivery_id=pk)
    assert claimed is not None
    assert services.delivery_send(delivery_id=pk) > 0
    assert mail.outbox == []
    Delivery.objects.filter(pk=pk).update(claimed_until=timezone.now() - timezone.timedelta(seconds=1))
    assert services.delivery_send(delivery_id=pk) is None, "the lease ran out: the next try takes it"
    assert len(mail.outbox) == 1
    assert Delivery.objects.get(pk=pk).attempts == 2


def test_chat_goes_once_to_the_team_webhook_and_retries_a_failing_one_until_sent(postmortem, team, teammate, owner):
    for user in (teammate, owner):
        PreferenceFactory(user=user, kind=Notification.Kind.MENTION, channel=Channel.CHAT)
    with Receiver(fail_first=2) as receiver:
        TeamChannelFactory(team=team, webhook_url=receiver.url)
        _notify([teammate, owner], postmortem, kind=Notification.Kind.MENTION)
        (delivery,) = Delivery.objects.all()
        assert delivery.team == team, "one post to the team channel, not one per person"
        for _ in range(3):
            services.delivery_send(delivery_id=delivery.pk)
        assert len(receiver.posts) == 1 and "Hello." in receiver.posts[0]["text"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)


def test_after_the_last_try_the_delivery_fails_visibly_and_an_admin_retries_it(postmortem, teammate, admin_user, owner):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.CHAT)
    with Receiver(fail_first=10) as receiver:
        PersonChannelFactory(user=teammate, webhook_url=receiver.url)
        _notify([teammate], postmortem)
        delivery = Delivery.objects.get()
        waits = [services.delivery_send(delivery_id=delivery.pk) for _ in range(3)]
    delivery.refresh_from_db()
    assert waits == [0, 0, None]
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "500" in delivery.last_error
    with pytest.raises(PermissionDenied):
        services.delivery_retry(delivery=delivery, actor=owner)
    services.delivery_retry(delivery=delivery, actor=admin_user)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    with pytest.raises(ValidationError):
        services.delivery_retry(delivery=delivery, actor=admin_user)


def test_a_webhook_refusing_with_4xx_fails_at_once_and_email_still_goes(postmortem, teammate, leader):
    PreferenceFactory(user=teammate, kind=KIND, channel=Channel.CHAT)
    PreferenceFactory(user=leader, kind=KIND, channel=Channel.EMAIL)
    with Receiver(fail_first=1, status=404) as receiver:
        PersonChannelFactory(user=teammate, webhook_url=receiver.url)
        _notify([teammate, leader], postmortem)
        _send_all()
    statuses = dict(Delivery.objects.values_list("channel", "status"))
    assert statuses == {"chat": "failed", "email": "sent"}, "one failing channel does not block the other"
    assert len(mail.outbox) == 1


def test_the_drain_enqueues_only_pending_deliveries_due_longer_than_the_grace(postmortem, teammate, leader, settings):
    from notifications import tasks

    sent = []
    settings.NOTIFY_DRAIN_GRACE_SECONDS = 60
    for user in (teammate, leader):
        PreferenceFactory(user=user, kind=KIND, channel=Channel.EMAIL)
    _notify([teammate, leader], postmortem)
    old, new = Delivery.objects.order_by("pk")
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    Delivery.objects.filter(pk=old.pk).update(next_attempt_at=long_ago, enqueued_at=long_ago)
    Delivery.objects.filter(pk=new.pk).update(next_attempt_at=long_ago)  # due, but its message went out just now
    original = tasks.delivery_send_task.delay
    tasks.delivery_send_task.delay = sent.append
    try:
        assert services.delivery_drain() == 1
        assert services.delivery_drain() == 0, "once handed over, not again within the visibility timeout"
    finally:
        tasks.delivery_send_task.delay = original
    assert sent == [old.pk]


def test_access_lost_after_notifying_suppresses_the_send(incident, teammate, owner):
    PreferenceFactory(user=teammate, kind=Notification.Kind.INCIDENT_DECLARED, channel=Channel.EMAIL)
    _notify([teammate], incident, kind=Notification.Kind.INCIDENT_DECLARED)
    Incident.objects.filter(pk=incident.pk).update(restricted=True)
    _send_all()
    assert mail.outbox == []
    assert Delivery.objects.get().reason == "no access"


def test_an_incident_restricted_after_notifying_never_reaches_the_team_channel(incident, team, owner, teammate):
    PreferenceFactory(user=teammate, kind=Notification.Kind.INCIDENT_DECLARED, channel=Channel.CHAT)
    with Receiver() as receiver:
        TeamChannelFactory(team=team, webhook_url=receiver.url)
        _notify([teammate], incident, kind=Notification.Kind.INCIDENT_DECLARED)
        assert Delivery.objects.get().team == team
        Incident.objects.filter(pk=incident.pk).update(restricted=True)
        incident.access_list.add(teammate)
        _send_all()
        assert receiver.posts == []
    assert Delivery.objects.get().reason == "restricted"


@pytest.mark.parametrize("channel", [Channel.IN_APP, Channel.EMAIL, Channel.CHAT])
def test_a_restricted_incident_reaches_no_one_outside_its_list_on_any_channel(
    restricted_incident, named, outsider, leader, other_team, channel
):
    with Receiver() as receiver:
        TeamChannelFactory(team=other_team, webhook_url=receiver.url)
        for user in (outsider, leader, named):
            PreferenceFactory(user=user, kind=Notification.Kind.INCIDENT_DECLARED, channel=channel)
        created = _notify([outsider, leader, named], restricted_incident, kind=Notification.Kind.INCIDENT_DECLARED)
        _send_all()
        assert [n.recipient for n in created] == [named]
        assert all(m.to == [named.email] for m in mail.outbox)
        assert receiver.posts == [], "a team channel never hears of a restricted incident"
    if channel == Channel.CHAT:
        assert Delivery.objects.get().reason == "restricted"
    assert not Delivery.objects.exclude(notification__recipient=named).exists()


def test_queries_per_notify_do_not_grow_with_recipients(postmortem, team, django_assert_max_num_queries):
    from tests.factories import MembershipFactory

    people = [MembershipFactory(team=team).user for _ in range(30)]
    for user in people[:10]:
        PreferenceFactory(user=user, kind=Notification.Kind.MENTION, channel=Channel.EMAIL)
    few, many = people[:3], people[3:]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        _notify(few, postmortem, kind=Notification.Kind.MENTION)
    with CaptureQueriesContext(connection) as large:
        _notify(many, postmortem, kind=Notification.Kind.MENTION, period="p")
    # can_view of a draft postmortem asks once per person; everything else is batched.
    per_person = len(large) - len(small)
    assert per_person <= len(many) - len(few), (len(small), len(large))
    print(f"notify(): {len(small)} queries for 3 people, {len(large)} for 27")
