"""The notifications page, mark read / all read over htmx, and the badge in the navigation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services as incident_services
from incidents.models import Incident
from notifications import selectors
from notifications.models import Notification
from tests.notifications.conftest import make_notification

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
LIST = "/notifications/"


def test_the_page_lists_only_my_notifications(client_as, postmortem, teammate, owner):
    make_notification(teammate, postmortem, text="For Bob")
    make_notification(owner, postmortem, text="For Alice")
    body = client_as(teammate).get(LIST).content.decode()
    assert "For Bob" in body and "For Alice" not in body
    assert f'href="{reverse("notifications:open", args=[Notification.objects.get(recipient=teammate).pk])}"' in body


def test_unread_tab(client_as, postmortem, teammate):
    make_notification(teammate, postmortem, text="Old news", read_at="2024-01-01T00:00:00Z")
    make_notification(teammate, postmortem, text="Fresh")
    body = client_as(teammate).get(LIST, {"unread": "true"}).content.decode()
    assert "Fresh" in body and "Old news" not in body


def test_the_badge_shows_the_unread_count_on_every_page(client_as, postmortem, teammate):
    client = client_as(teammate)
    assert 'class="badge unread-count"' not in client.get("/").content.decode()
    make_notification(teammate, postmortem)
    make_notification(teammate, postmortem)
    body = client.get("/incidents/").content.decode()
    assert 'aria-label="Notifications, 2 unread"' in body and '<span class="badge unread-count">2</span>' in body


def test_the_badge_costs_one_count_query(client_as, postmortem, teammate):
    for _ in range(3):
        make_notification(teammate, postmortem)
    client = client_as(teammate)
    client.get("/notifications/badge/")  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/notifications/badge/").content.decode()
    notification_queries = [q["sql"] for q in ctx.captured_queries if "notifications_notification" in q["sql"]]
    assert len(notification_queries) == 1 and notification_queries[0].startswith("SELECT COUNT(*)")
    assert ">3</span>" in body


def test_the_unread_count_uses_the_partial_index(postmortem, teammate):
    from django.utils import timezone

    unread = make_notification(teammate, postmortem)
    already_read = {**_fields(unread), "read_at": timezone.now()}
    Notification.objects.bulk_create([Notification(**already_read) for _ in range(3000)], batch_size=1000)
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.unread_count(user=teammate) == 1
    (count_sql,) = [q["sql"] for q in ctx.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
        cursor.execute("EXPLAIN " + count_sql)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "notification_unread" in plan, plan


def _fields(row):
    return {f.attname: getattr(row, f.attname) for f in Notification._meta.concrete_fields if f.attname != "id"}


def test_mark_read_over_htmx_swaps_the_row_and_the_badge(client_as, postmortem, teammate):
    first, _second = make_notification(teammate, postmortem), make_notification(teammate, postmortem)
    body = client_as(teammate).post(reverse("notifications:read", args=[first.pk]), **HX).content.decode()
    assert body.lstrip().startswith(f'<li id="notification-{first.pk}" class="notification">'), "no longer unread"
    assert "Mark read" not in body.split("</li>")[0]
    assert 'id="nav-notifications"' in body and 'hx-swap-oob="true"' in body and ">1</span>" in body
    assert Notification.objects.get(pk=first.pk).read_at is not None


def test_mark_all_read_without_htmx_redirects(client_as, postmortem, teammate, owner):
    make_notification(teammate, postmortem)
    theirs = make_notification(owner, postmortem)
    response = client_as(teammate).post(reverse("notifications:read-all"))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Notification.objects.filter(recipient=teammate, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_over_htmx_returns_the_list_and_clears_the_badge(client_as, postmortem, teammate):
    make_notification(teammate, postmortem, text="One")
    body = client_as(teammate).post(reverse("notifications:read-all"), **HX).content.decode()
    assert body.lstrip().startswith('<div id="results">') and "One" in body
    assert 'id="nav-notifications"' in body and "unread-count" not in body


def test_someone_elses_notification_is_404(client_as, postmortem, teammate, owner):
    theirs = make_notification(owner, postmortem)
    client = client_as(teammate)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_open_marks_read_and_follows_the_link(client_as, postmortem, teammate):
    row = make_notification(teammate, postmortem)
    response = client_as(teammate).get(reverse("notifications:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == postmortem.get_absolute_url()
    assert Notification.objects.get(pk=row.pk).read_at is not None


def test_a_subject_that_became_hidden_is_redacted(client_as, incident, postmortem, teammate, owner):
    row = make_notification(teammate, postmortem, text="Checkout errors after deploy: please review")
    incident_services.incident_update(
        incident=Incident.objects.get(pk=incident.pk),
        actor=owner,
        data={"restricted": True, "access_list": [owner]},
        expected_version=None,
    )
    client = client_as(teammate)
    body = client.get(LIST).content.decode()
    assert "Checkout errors" not in body and "This is no longer shared with you." in body
    assert reverse("notifications:open", args=[row.pk]) not in body
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response["Location"] == LIST, "no redirect into something they may not read"


def test_anonymous_people_are_sent_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
