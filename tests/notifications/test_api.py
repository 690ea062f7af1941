"""/api/v1/notifications/: your own only, mark read, mark all read."""

import pytest

from incidents import services as incident_services
from incidents.models import Incident
from notifications.models import Notification
from tests.notifications.conftest import make_notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"


def test_lists_only_my_own_newest_first(api_as, postmortem, teammate, owner):
    make_notification(teammate, postmortem, text="first")
    make_notification(teammate, postmortem, text="second")
    make_notification(owner, postmortem, text="alice's")
    body = api_as(teammate).get(URL).json()
    assert body["count"] == 2 and [n["text"] for n in body["results"]] == ["second", "first"]
    row = body["results"][0]
    assert row["kind"] == "postmortem_commented" and row["unread"] is True and row["read_at"] is None
    assert row["subject_type"] == "incidents.postmortem" and row["subject_id"] == postmortem.pk
    assert row["link"] == postmortem.get_absolute_url() and row["available"] is True


def test_unread_filter(api_as, postmortem, teammate):
    make_notification(teammate, postmortem, text="seen", read_at="2024-01-01T00:00:00Z")
    make_notification(teammate, postmortem, text="new")
    assert [n["text"] for n in api_as(teammate).get(URL, {"unread": "true"}).json()["results"]] == ["new"]


def test_mark_read_and_mark_all_read(api_as, postmortem, teammate):
    rows = [make_notification(teammate, postmortem) for _ in range(3)]
    client = api_as(teammate)
    response = client.post(f"{URL}{rows[0].pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False and response.json()["read_at"]
    response = client.post(f"{URL}read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_someone_elses_notification_is_404(api_as, postmortem, teammate, owner, admin_user):
    theirs = make_notification(owner, postmortem)
    for user in (teammate, admin_user):  # admins read every record, but not other people's notifications
        assert api_as(user).get(f"{URL}{theirs.pk}/").status_code == 404
        assert api_as(user).post(f"{URL}{theirs.pk}/read/").status_code == 404
    assert api_as(admin_user).get(URL).json()["count"] == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_a_subject_that_became_hidden_keeps_only_kind_and_times(api_as, incident, postmortem, teammate, owner):
    row = make_notification(teammate, postmortem, text="Checkout errors after deploy")
    incident_services.incident_update(
        incident=Incident.objects.get(pk=incident.pk),
        actor=owner,
        data={"restricted": True, "access_list": [owner]},
        expected_version=None,
    )
    data = api_as(teammate).get(f"{URL}{row.pk}/").json()
    assert data["available"] is False and data["link"] is None and data["subject_id"] is None
    assert "Checkout" not in data["text"] and data["kind"] == "postmortem_commented"


def test_anonymous_is_401(api):
    assert api.get(URL).status_code == 401
    assert api.post(f"{URL}read-all/").status_code == 401
