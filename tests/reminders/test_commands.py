from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from notifications.models import Notification
from reminders.models import Digest


@pytest.fixture
def awake(world, team, other_team):
    """The commands run on the real clock: no quiet hours for either team, whatever the time."""
    from reminders.models import TeamSchedule

    for t in (team, other_team):
        TeamSchedule.objects.create(team=t, quiet_start_hour=0, quiet_end_hour=0, quiet_weekends=False)


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_send_reminders_dry_run_prints_and_sends_nothing(awake):
    # The command runs as of the real clock: a2 and a1 are overdue, a3 due soon, a4 overdue.
    text = _run("send_reminders", "--dry-run")
    assert "Would send" in text and "Tune search cache" in text
    assert "Rotate card keys" not in text  # the restricted incident's item reaches nobody here
    assert not Notification.objects.filter(period__gt="").exists()


def test_send_reminders_sends_once(awake):
    first = _run("send_reminders")
    sent = Notification.objects.filter(period__gt="").count()
    assert sent > 0 and f"Sent {sent} reminder" in first
    assert "Sent 0 reminders." in _run("send_reminders")
    assert Notification.objects.filter(period__gt="").count() == sent


def test_send_digests_for_one_team_and_kind(world):
    text = _run("send_digests", "--team", "payments", "--kind", "team", "--dry-run")
    assert "Would send 3 digests." in text
    assert not Digest.objects.exists()
    assert "Sent 3 digests." in _run("send_digests", "--team", "payments", "--kind", "team")
    assert set(Digest.objects.values_list("recipient__username", flat=True)) == {"alice", "bob", "dave"}
    assert "Sent 0 digests." in _run("send_digests", "--team", "payments", "--kind", "team")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--team", "nope"], "Unknown team: nope"),
        (["--team", "payments", "--kind", "leadership"], "leave out --team"),
    ],
)
def test_send_digests_refuses_bad_input_and_changes_nothing(world, args, message):
    with pytest.raises(CommandError, match=message):
        _run("send_digests", *args)
    assert not Digest.objects.exists()
