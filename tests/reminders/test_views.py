"""Digest pages: the recipient reads their digest; nobody else does, admins included (404)."""

import pytest
from django.template.loader import render_to_string

from reminders.models import Digest
from reminders.services import run_digests


@pytest.fixture
def bobs(world, now):
    run_digests(now=now, only_due=False)
    return Digest.objects.get(kind="personal", recipient__username="bob")


def test_recipient_reads_the_digest_page_and_list(client_as, teammate, bobs):
    page = client_as(teammate).get(f"/digests/{bobs.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Search slow" in body and "Add checkout alert" in body
    listing = client_as(teammate).get("/digests/?kind=personal")
    assert bobs.title in listing.content.decode()


def test_a_record_restricted_after_the_digest_is_no_longer_shown(client_as, teammate, bobs, world):
    from incidents.models import Incident

    team_digest = Digest.objects.get(kind="team", recipient=teammate)
    assert "Checkout down" in client_as(teammate).get(f"/digests/{team_digest.pk}/").content.decode()
    Incident.objects.filter(pk=world["i1"].pk).update(restricted=True)
    body = client_as(teammate).get(f"/digests/{team_digest.pk}/").content.decode()
    assert "Checkout down" not in body and "This is no longer shared with you." in body
    assert "Add checkout alert" not in body  # its action item is restricted with it
    assert f"/incidents/{world['i1'].pk}/" not in body


@pytest.mark.parametrize("who", ["owner", "outsider", "admin_user", "leader"])
def test_nobody_else_reads_it(client_as, bobs, who, request):
    user = request.getfixturevalue(who)
    assert client_as(user).get(f"/digests/{bobs.pk}/").status_code == 404
    assert f"/digests/{bobs.pk}/" not in client_as(user).get("/digests/").content.decode()


def test_anonymous_is_sent_to_sign_in(client, bobs):
    response = client.get(f"/digests/{bobs.pk}/")
    assert response.status_code in (302, 401, 403)
    assert "Search slow" not in response.content.decode()


@pytest.mark.parametrize("kind", ["team", "personal", "leadership"])
def test_email_templates_render_the_digest(world, now, kind):
    from notifications.models import Notification

    run_digests(now=now, only_due=False)
    digest = Digest.objects.filter(kind=kind).order_by("pk").first()
    note = Notification.objects.get(kind=f"digest_{kind}", subject_id=digest.pk)
    context = {
        "notification": note,
        "subject": digest,
        "recipient": digest.recipient,
        "site_url": "https://opsx.example",
        "unsubscribe_url": "https://opsx.example/unsubscribe/abc/",
    }
    html = render_to_string(f"notifications/email/digest_{kind}.html", context)
    text = render_to_string(f"notifications/email/digest_{kind}.txt", context)
    first = digest.content["sections"][0]
    assert digest.title in html and first["title"] in text
    assert f"https://opsx.example/digests/{digest.pk}/" in html and f"https://opsx.example/digests/{digest.pk}/" in text
    assert "https://opsx.example/unsubscribe/abc/" in html and "https://opsx.example/unsubscribe/abc/" in text
    for item in first["items"]:
        assert f"https://opsx.example{item['url']}" in text
    assert "&lt;" not in text  # plain text is not HTML-escaped


def test_admin_edits_the_escalation_ladder(client_as, admin_user):
    from reminders.models import ReminderSettings

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    ReminderSettings.objects.create(pk=1)
    client = client_as(admin_user)
    url = "/admin/reminders/remindersettings/1/change/"
    form = {
        "due_soon_days": "5", "lead_grace_days": "1", "acceptance_expiring_days": "14",
        "digest_weekday": "2", "digest_hour": "7", "digest_timezone": "Europe/Berlin",
    }  # fmt: skip
    assert client.post(url, form).status_code == 302
    row = ReminderSettings.current()
    assert (row.due_soon_days, row.lead_grace_days, row.digest_weekday, row.digest_timezone) == (
        5,
        1,
        2,
        "Europe/Berlin",
    )
    bad = client.post(url, {**form, "due_soon_days": "0", "digest_timezone": "Mars/Olympus"})
    assert bad.status_code == 200
    assert "is not a known time zone" in bad.content.decode()
    assert ReminderSettings.current().due_soon_days == 5


def test_members_may_not_open_the_settings_admin(client_as, owner):
    assert client_as(owner).get("/admin/reminders/remindersettings/").status_code == 302
