"""A team's lead sets its digest day and hour and its quiet hours; members and other teams may not."""

import pytest
from django.core.exceptions import PermissionDenied

from reminders import services
from reminders.models import TeamSchedule
from reminders.selectors import DEFAULT_SCHEDULE

pytestmark = pytest.mark.django_db

URL = "/teams/{}/schedule/"
VALID = {
    "digest_enabled": "on",
    "digest_weekday": "4",
    "digest_hour": "15",
    "quiet_start_hour": "22",
    "quiet_end_hour": "7",
    "quiet_weekends": "",
}


def test_a_lead_saves_the_schedule_and_returns_to_the_team(client_as, owner, team):
    client = client_as(owner)
    page = client.get(URL.format(team.slug))
    assert page.status_code == 200 and "Digest and quiet hours of" in page.content.decode()
    assert f"local time ({team.timezone})" in page.content.decode()
    response = client.post(URL.format(team.slug), VALID)
    assert response.status_code in (302, 303) and response["Location"] == team.get_absolute_url()
    schedule = TeamSchedule.objects.get(team=team)
    assert (schedule.digest_weekday, schedule.digest_hour, schedule.quiet_start_hour, schedule.quiet_end_hour) == (
        4,
        15,
        22,
        7,
    )
    assert schedule.digest_enabled and not schedule.quiet_weekends
    assert URL.format(team.slug) in client.get(team.get_absolute_url()).content.decode()


def test_a_bad_hour_is_a_form_error_and_changes_nothing(client_as, owner, team):
    services.team_schedule_update(actor=owner, team=team, data={"digest_hour": 9})
    response = client_as(owner).post(URL.format(team.slug), {**VALID, "digest_hour": "24"})
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 23" in response.content.decode()
    assert TeamSchedule.objects.get(team=team).digest_hour == 9


def test_members_and_other_teams_may_not_change_it(client_as, teammate, outsider, team):
    for person in (teammate, outsider):
        assert client_as(person).get(URL.format(team.slug)).status_code in (403, 404)
        assert client_as(person).post(URL.format(team.slug), VALID).status_code in (403, 404)
        with pytest.raises(PermissionDenied):
            services.team_schedule_update(actor=person, team=team, data={"digest_hour": 3})
    assert not TeamSchedule.objects.filter(team=team).exists()
    assert URL.format(team.slug) not in client_as(teammate).get(team.get_absolute_url()).content.decode()


def test_an_admin_may_and_the_defaults_stay_until_someone_saves(admin_user, team):
    assert not TeamSchedule.objects.filter(team=team).exists()
    assert DEFAULT_SCHEDULE.digest_hour == 9
    saved = services.team_schedule_update(actor=admin_user, team=team, data={"quiet_weekends": False})
    assert saved.digest_hour == 9 and saved.quiet_weekends is False
