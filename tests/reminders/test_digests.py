"""Digests on the fixed data set (tests/reminders/conftest.py), hand-computed for each audience.

Payments (alice lead, bob, dave) and Search (charlie lead); erin is leadership, ada an admin.
In the week: i1 Checkout down (payments, resolved), i2 Card data exposure (payments, restricted, dave
named), i3 Search slow (search), i5 Leaked index (search, restricted, nobody named); i4 is older.
Published in the week: i3's and i5's postmortems, both tagged database; bob follows the tag.
Action items: a1 bob overdue (i1), a2 bob overdue (i2, restricted), a3 alice due in 2 days, a4 charlie
overdue (search). A launch request of Checkout API (tier 1: lead and outside sign-off) waits.
"""

import pytest

from reminders.models import Digest
from reminders.services import run_digests


def _sections(digest):
    return {s["key"]: [item["text"] for item in s["items"]] for s in digest.content["sections"]}


def _by_reader(result, kind, team=None):
    return {
        d.recipient.username: _sections(d)
        for d in result.digests
        if d.kind == kind and (team is None or d.team and d.team.slug == team)
    }


@pytest.fixture
def digests(world, now):
    return run_digests(now=now, only_due=False)


def test_team_digest_of_each_reader(digests):
    payments = _by_reader(digests, "team", "payments")
    assert set(payments) == {"alice", "bob", "dave"}
    assert payments["alice"]["declared"] == ["SEV2 Checkout down"]
    assert payments["alice"]["resolved"] == ["SEV2 Checkout down"]
    assert payments["alice"]["followed"] == []
    assert payments["alice"]["overdue"] == ["Add checkout alert"]
    assert payments["alice"]["reviews"] == []  # Checkout API was created today: due in 90 days
    assert payments["bob"]["followed"] == ["Search slow"]  # the restricted Leaked index is left out
    assert payments["bob"]["overdue"] == ["Add checkout alert"]
    assert payments["dave"]["declared"] == ["SEV2 Checkout down", "SEV2 Card data exposure"]
    assert payments["dave"]["overdue"] == ["Add checkout alert", "Rotate card keys"]
    search = _by_reader(digests, "team", "search")
    assert search == {
        "charlie": {
            "declared": ["SEV2 Search slow"],
            "resolved": [],
            "followed": [],
            "overdue": ["Tune search cache"],
            "reviews": [],
        }
    }


def test_personal_digest_of_each_reader(digests):
    personal = _by_reader(digests, "personal")
    assert set(personal) == {"alice", "bob", "charlie", "dave"}
    assert personal["bob"] == {
        "unread": ["You were assigned Add checkout alert"],  # not the one about the restricted incident
        "actions": ["Add checkout alert"],  # Rotate card keys belongs to the restricted incident
        "signoffs": [],
        "followed": ["Search slow"],
    }
    assert personal["alice"]["actions"] == ["Write runbook"]
    assert personal["alice"]["signoffs"] == ["Checkout launch"]  # as team lead
    assert personal["charlie"]["signoffs"] == ["Checkout launch"]  # as outside reviewer (leads another team)
    assert personal["dave"]["signoffs"] == []
    assert personal["dave"]["unread"] == []


def test_leadership_digest_hides_restricted_incidents_from_leadership_not_admins(digests):
    leadership = _by_reader(digests, "leadership")
    assert set(leadership) == {"erin", "ada"}
    erin, ada = leadership["erin"], leadership["ada"]
    assert erin["declared"] == ["SEV2 Search slow", "SEV2 Checkout down"]
    assert ada["declared"] == ["SEV2 Search slow", "SEV2 Checkout down", "SEV2 Card data exposure", "SEV2 Leaked index"]
    assert erin["resolved"] == ada["resolved"] == ["SEV2 Checkout down"]
    assert erin["published"] == ["Search slow"]
    assert ada["published"] == ["Search slow", "Leaked index"]
    assert erin["overdue"] == ["Tune search cache", "Add checkout alert"]
    assert ada["overdue"] == ["Tune search cache", "Add checkout alert", "Rotate card keys"]


def test_restricted_titles_appear_nowhere_for_readers_who_may_not_read_them(digests):
    for digest in digests.digests:
        text = str(digest.content)
        if digest.recipient.username not in ("dave", "ada"):
            assert "Card data exposure" not in text and "Rotate card keys" not in text, digest.recipient
        if digest.recipient.username != "ada":
            assert "Leaked index" not in text, digest.recipient


def test_kpis_come_from_the_dashboards_with_the_change(digests):
    (alice,) = [d for d in digests.digests if d.kind == "team" and d.recipient.username == "alice"]
    figures = {f["label"]: f for f in alice.content["kpis"]}
    # Payments: i1 and i2 started in the week (counts include restricted, never named), none the week before.
    assert figures["Incidents"]["value"] == "2"
    assert figures["Incidents"]["previous"] == "0"
    assert figures["Incidents"]["change"] == "+2"
    assert figures["Action items overdue (now)"]["value"] == "2"
    (erin,) = [d for d in digests.digests if d.kind == "leadership" and d.recipient.username == "erin"]
    org = {f["label"]: f for f in erin.content["kpis"]}
    assert org["Incidents"]["value"] == "4"


def test_each_digest_is_stored_and_announced_once(digests, world, now):
    from notifications.models import Notification

    assert digests.notified == len(digests.digests) == 3 + 1 + 4 + 2
    assert Digest.objects.count() == 10
    again = run_digests(now=now, only_due=False)
    assert again.digests == [] and again.notified == 0
    assert Digest.objects.count() == 10
    assert Notification.objects.filter(kind__startswith="digest_").count() == 10
    note = Notification.objects.get(kind="digest_personal", recipient__username="bob")
    digest = Digest.objects.get(kind="personal", recipient__username="bob")
    assert note.link == f"/digests/{digest.pk}/"


def test_dry_run_builds_and_writes_nothing(world, now):
    from notifications.models import Notification

    result = run_digests(now=now, only_due=False, dry_run=True)
    assert len(result.digests) == 10
    assert Digest.objects.count() == 0
    assert not Notification.objects.filter(kind__startswith="digest_").exists()


def test_the_beat_run_sends_only_when_the_local_day_and_hour_have_come(world, now, team):
    from datetime import timedelta

    from reminders.models import ReminderSettings, TeamSchedule

    TeamSchedule.objects.create(team=team, digest_weekday=0, digest_hour=11)  # Monday 11:00 UTC
    ReminderSettings.objects.create(pk=1, digest_weekday=1, digest_hour=8)  # Tuesdays
    early = run_digests(now=now)  # Monday 10:00: only Search (default Monday 9:00)
    assert {(d.kind, d.team.slug if d.team else "") for d in early.digests} == {("team", "search")}
    later = run_digests(now=now + timedelta(hours=2))
    assert {(d.kind, d.team.slug) for d in later.digests} == {("team", "payments")}
    assert run_digests(now=now + timedelta(hours=5)).digests == []
    tuesday = run_digests(now=now + timedelta(days=1))
    assert {d.kind for d in tuesday.digests} == {"personal", "leadership"}


def test_team_time_zone_decides_the_local_day(world, now, team):
    from datetime import timedelta

    from reminders.models import TeamSchedule

    team.timezone = "America/Los_Angeles"  # Monday 10:00 UTC is Monday 2:00 or 3:00 there
    team.save()
    TeamSchedule.objects.create(team=team, digest_weekday=0, digest_hour=9)
    assert not [d for d in run_digests(now=now, kinds={"team"}).digests if d.team.slug == "payments"]
    sent = run_digests(now=now + timedelta(hours=8), kinds={"team"}).digests
    assert {d.team.slug for d in sent} == {"payments"}


def test_a_digest_goes_out_by_email_with_its_contents_and_no_restricted_title(digests, mailoutbox, settings):
    """The two halves together: the digest's notification queues an email delivery, and the send
    renders the digest's own template (not the default one) for its reader."""
    from notifications import services as notification_services
    from notifications.models import Delivery

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery = Delivery.objects.get(
        channel="email", notification__kind="digest_team", notification__recipient__username="bob"
    )
    assert delivery.status == Delivery.Status.PENDING
    assert notification_services.delivery_send(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    (message,) = mailoutbox
    html = message.alternatives[0][0]
    assert "Checkout down" in message.body and "Checkout down" in html
    assert "Card data exposure" not in message.body + html, "bob is not named on the restricted incident"
    assert "Leaked index" not in message.body + html
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
