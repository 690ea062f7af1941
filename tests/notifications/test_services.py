"""notify(): who is told, who never is, and that a rolled-back change tells nobody."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from incidents import services as incident_services
from incidents.models import Incident
from notifications import services
from notifications.models import Notification
from tests.factories import UserFactory
from tests.notifications.conftest import make_notification

pytestmark = pytest.mark.django_db

KIND = Notification.Kind.POSTMORTEM_REVIEW_REQUESTED


def _notify(recipients, subject, actor=None):
    return services.notify(
        recipients=recipients, kind=KIND, subject=subject, text="Please review.", link="/x/", actor=actor
    )


def test_notifies_each_recipient_once_and_never_the_actor(postmortem, owner, teammate, leader):
    created = _notify([teammate, leader, teammate, None, owner], postmortem, actor=owner)
    assert sorted(n.recipient.username for n in created) == ["bob", "erin"]
    row = Notification.objects.get(recipient=teammate)
    assert (row.kind, row.subject, row.text, row.link, row.read_at) == (KIND, postmortem, "Please review.", "/x/", None)


def test_inactive_people_are_not_notified(postmortem, teammate):
    teammate.is_active = False
    teammate.save()
    assert _notify([teammate], postmortem) == []


def test_nobody_is_told_about_a_draft_they_may_not_read(postmortem, outsider, teammate):
    created = _notify([outsider, teammate], postmortem)
    assert [n.recipient for n in created] == [teammate], "another team's draft stays private"


def test_a_restricted_incident_never_notifies_someone_not_allowed_to_read_it(
    restricted_incident, named, outsider, leader, admin_user
):
    incident = Incident.objects.get(pk=restricted_incident.pk)
    postmortem = incident_services.postmortem_start(incident=incident, actor=admin_user)
    incident_services.postmortem_submit(postmortem=postmortem, actor=admin_user, reviewers=[named])
    assert [n.recipient for n in Notification.objects.all()] == [named], "the named reviewer was asked"
    # outsider leads the incident's team and leader reads everything else: neither may read this one.
    created = _notify([outsider, leader, named], postmortem)
    assert [n.recipient for n in created] == [named]
    assert _notify([outsider, leader], incident) == [], "the incident itself is just as closed"
    assert not Notification.objects.filter(recipient__in=[outsider, leader]).exists()


def test_a_rolled_back_change_notifies_nobody(postmortem, owner, teammate):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify([teammate], postmortem, actor=owner)
        raise RuntimeError("the change failed after notifying")
    assert not Notification.objects.exists()


def test_links_stay_on_this_site(postmortem, teammate):
    for link in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        with pytest.raises(ValidationError) as exc:
            services.notify(recipients=[teammate], kind=KIND, subject=postmortem, text="t", link=link, actor=None)
        assert "link" in exc.value.message_dict
    assert not Notification.objects.exists()


def test_unknown_kinds_are_refused(postmortem, teammate):
    with pytest.raises(ValueError):
        services.notify(recipients=[teammate], kind="gossip", subject=postmortem, text="t", link="/", actor=None)


def test_long_text_is_shortened_to_fit(postmortem, teammate):
    (row,) = services.notify(
        recipients=[teammate], kind=KIND, subject=postmortem, text="x" * 2000, link="/", actor=None
    )
    assert len(row.text) == 500 and row.text.endswith("…")


def test_marking_read_is_for_the_recipient_only(postmortem, teammate, owner):
    row = make_notification(teammate, postmortem)
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(notification=row, actor=owner)
    assert Notification.objects.get(pk=row.pk).read_at is None
    first = services.notification_mark_read(notification=row, actor=teammate).read_at
    assert first is not None
    assert services.notification_mark_read(notification=row, actor=teammate).read_at == first, "read once"


def test_mark_all_read_touches_only_the_actors_unread(postmortem, teammate, owner):
    mine = [make_notification(teammate, postmortem) for _ in range(3)]
    theirs = make_notification(owner, postmortem)
    services.notification_mark_read(notification=mine[0], actor=teammate)
    assert services.notification_mark_all_read(actor=teammate) == 2
    assert not Notification.objects.filter(recipient=teammate, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_people_asked_to_review_hear_of_it_and_the_author_hears_back(postmortem, owner, teammate, leader):
    other = UserFactory(username="dave")
    incident_services.postmortem_submit(postmortem=postmortem, actor=teammate, reviewers=[leader, other])
    asked = Notification.objects.filter(kind=Notification.Kind.POSTMORTEM_REVIEW_REQUESTED)
    assert sorted(n.recipient.username for n in asked) == ["dave", "erin"]
    assert all(n.link == postmortem.get_absolute_url() and "asked you to review" in n.text for n in asked)
    comment = incident_services.postmortem_comment_add(postmortem=postmortem, actor=leader, body="Which alert?")
    incident_services.postmortem_approve(postmortem=postmortem, actor=leader)
    told = Notification.objects.filter(recipient=owner).order_by("id")
    assert [n.kind for n in told] == [Notification.Kind.POSTMORTEM_COMMENTED, Notification.Kind.POSTMORTEM_APPROVED]
    assert told[0].link.endswith(f"#comment-{comment.pk}") and "Which alert?" in told[0].text
    assert "approved version 1" in told[1].text
    incident_services.postmortem_comment_add(postmortem=postmortem, actor=owner, body="My own note")
    assert Notification.objects.filter(recipient=owner).count() == 2, "nobody is told about their own comment"


def test_a_failed_submit_notifies_nobody(restricted_incident, admin_user, named, leader):
    incident = Incident.objects.get(pk=restricted_incident.pk)
    postmortem = incident_services.postmortem_start(incident=incident, actor=admin_user)
    with pytest.raises(ValidationError) as exc:
        incident_services.postmortem_submit(postmortem=postmortem, actor=admin_user, reviewers=[named, leader])
    assert "Not allowed to read this restricted incident" in str(exc.value.message_dict["reviewers"])
    assert not Notification.objects.exists(), "not even the reviewer who could read it"
    assert not postmortem.reviewers.exists()


def test_with_a_period_each_person_is_told_once_per_period(postmortem, teammate, leader):
    def remind(period):
        return services.notify(
            recipients=[teammate, leader],
            kind=Notification.Kind.POSTMORTEM_OVERDUE,
            subject=postmortem,
            text="Overdue.",
            link="/x/",
            actor=None,
            period=period,
        )

    first = remind("2026-W48")
    assert sorted(n.recipient.username for n in first) == ["bob", "erin"] and all(n.pk for n in first)
    assert remind("2026-W48") == [], "the same period claims nothing twice"
    assert len(remind("2026-W49")) == 2, "a new period is a new reminder"
    assert Notification.objects.filter(kind=Notification.Kind.POSTMORTEM_OVERDUE).count() == 4
    again = _notify([teammate], postmortem)
    assert len(again) == 1, "notices without a period may repeat (each comment is news)"
