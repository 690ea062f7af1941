"""The reminder sweep on the fixed data set (tests/reminders/conftest.py) and on its own small cases."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from notifications.models import Notification
from reminders.models import ReminderSettings, TeamSchedule
from reminders.services import run_reminder_sweep
from reviews.models import Risk, RiskAcceptance
from tests.factories import ActionItemFactory, PostmortemFactory


def _sent(rows):
    return sorted((r.kind, r.recipient.username, r.text) for r in rows)


def _all():
    return _sent(Notification.objects.filter(period__gt="").select_related("recipient"))


@pytest.fixture
def due(world, now, team):
    """More due work on top of the data set: bob's postmortem of i1, a day late."""
    world["pm"] = PostmortemFactory(
        incident=world["i1"], owner=world["a1"].owner, due_date=now.date() - timedelta(days=1)
    )
    return world


def test_each_kind_reaches_the_owner_then_the_leads(due, now):
    result = run_reminder_sweep(now=now)
    assert _sent(result.notifications) == [
        (
            "action_item_due_soon",
            "alice",
            f"Action item “Write runbook” is due on {(now.date() + timedelta(days=2)):%-d %b %Y}.",
        ),
        # a1 is two days overdue: the grace period (2 days) is over, so the lead hears too.
        (
            "action_item_overdue",
            "alice",
            f"Action item “Add checkout alert” is overdue by 2 days (due {now.date() - timedelta(days=2):%-d %b %Y}).",
        ),
        (
            "action_item_overdue",
            "bob",
            f"Action item “Add checkout alert” is overdue by 2 days (due {now.date() - timedelta(days=2):%-d %b %Y}).",
        ),
        (
            "action_item_overdue",
            "charlie",
            f"Action item “Tune search cache” is overdue by 5 days (due {(now.date() - timedelta(days=5)):%-d %b %Y}).",
        ),
        (
            "postmortem_overdue",
            "bob",
            f"The postmortem of “Checkout down” was due on {(now.date() - timedelta(days=1)):%-d %b %Y}.",
        ),
        ("signoff_requested", "alice", "“Checkout launch” is waiting for the team lead's sign-off."),
    ]
    # a2 belongs to the restricted incident: bob owns it but may not read it, alice leads but is not named.
    assert not Notification.objects.filter(text__contains="Rotate card keys").exists()


def test_a_second_sweep_sends_nothing_and_the_next_stage_sends_again(due, now):
    first = run_reminder_sweep(now=now)
    assert first.count == 6
    assert run_reminder_sweep(now=now).count == 0
    assert run_reminder_sweep(now=now + timedelta(hours=1)).count == 0
    # Three days later the postmortem's grace period is over: alice hears about it too, once.
    later = run_reminder_sweep(now=now + timedelta(days=1))
    assert ("postmortem_overdue", "alice") in {(r.kind, r.recipient.username) for r in later.notifications}
    assert ("postmortem_overdue", "bob") not in {(r.kind, r.recipient.username) for r in later.notifications}


def test_a_sweep_that_finds_nothing_sends_nothing(db, now, team, owner):
    ActionItemFactory(team=team, owner=owner, due_date=now.date() + timedelta(days=30))
    assert run_reminder_sweep(now=now).count == 0
    assert not Notification.objects.exists()


def test_the_lead_hears_at_once_when_there_is_no_owner(db, now, team, owner, teammate):
    ActionItemFactory(title="Orphan", team=team, owner=None, due_date=now.date() - timedelta(days=1))
    assert [(r.kind, r.recipient.username) for r in run_reminder_sweep(now=now).notifications] == [
        ("action_item_overdue", "alice")
    ]


def test_grace_days_come_from_the_settings(db, now, team, owner, teammate):
    ReminderSettings.objects.create(pk=1, lead_grace_days=5, due_soon_days=1)
    ActionItemFactory(title="Late", team=team, owner=teammate, due_date=now.date() - timedelta(days=3))
    ActionItemFactory(title="Soon", team=team, owner=teammate, due_date=now.date() + timedelta(days=2))
    assert [(r.recipient.username, r.kind) for r in run_reminder_sweep(now=now).notifications] == [
        ("bob", "action_item_overdue")
    ]


def test_quiet_hours_and_weekends_wait_for_the_first_sweep_after(db, now, team, owner, teammate):
    team.timezone = "Asia/Tokyo"  # Monday 10:00 UTC is 19:00 in Tokyo
    team.save()
    TeamSchedule.objects.create(team=team, quiet_start_hour=18, quiet_end_hour=8)
    ActionItemFactory(title="Late", team=team, owner=teammate, due_date=now.date() - timedelta(days=1))
    quiet = run_reminder_sweep(now=now)
    assert quiet.count == 0 and quiet.quiet_teams == ["payments"]
    assert run_reminder_sweep(now=now + timedelta(hours=12)).count == 0  # 07:00 Tuesday in Tokyo: still quiet
    after = run_reminder_sweep(now=now + timedelta(hours=13))  # 08:00 Tuesday: the first sweep after
    # It is Tuesday in Tokyo: two days late, so the lead hears too.
    assert sorted(r.recipient.username for r in after.notifications) == ["alice", "bob"]


def test_nothing_is_sent_on_a_quiet_weekend(db, now, team, teammate):
    ActionItemFactory(title="Late", team=team, owner=teammate, due_date=now.date() - timedelta(days=5))
    saturday = now - timedelta(days=2)
    assert run_reminder_sweep(now=saturday).count == 0
    assert run_reminder_sweep(now=saturday + timedelta(days=2)).count == 1


def test_dry_run_lists_what_would_be_sent_and_writes_nothing(due, now):
    planned = run_reminder_sweep(now=now, dry_run=True)
    assert planned.count == 6
    assert not Notification.objects.filter(period__gt="").exists()
    assert not ReminderSettings.objects.exists()  # reading the defaults writes no settings row either
    run_reminder_sweep(now=now)
    assert run_reminder_sweep(now=now, dry_run=True).count == 0


def test_acceptances_expiring_and_reviews_due(db, now, team, owner, teammate, service):
    from teams.models import System
    from tests.factories import make_review

    review = make_review(system=service, questions=2)
    answer = review.answers.order_by("pk").first()
    type(answer).objects.filter(pk=answer.pk).update(risk=Risk.HIGH)
    acceptance = RiskAcceptance(
        answer=answer, review=review, reason="Fixed next sprint", accepted_by=owner, expires_at=now + timedelta(days=5)
    )
    RiskAcceptance.objects.bulk_create([acceptance])
    System.objects.filter(pk=service.pk).update(created_at=now - timedelta(days=100))  # tier 1: every 90 days
    sent = {(r.kind, r.recipient.username, r.period) for r in run_reminder_sweep(now=now).notifications}
    expires = (now + timedelta(days=5)).date()
    due = (now - timedelta(days=100)).date() + timedelta(days=90)
    assert sent == {
        ("acceptance_expiring", "alice", f"expiring:{expires}"),
        ("review_due", "alice", f"overdue:{due}"),
    }
    assert ContentType.objects.get_for_model(RiskAcceptance).pk in set(
        Notification.objects.values_list("subject_type_id", flat=True)
    )
