"""One-click unsubscribe: signed, works without signing in, RFC 8058 POST too."""

import pytest
from django.core import mail

from notifications import channels, services
from notifications.models import Channel, Delivery, Notification, Preference

pytestmark = pytest.mark.django_db


def _url(user, kind):
    return channels.unsubscribe_url(user_id=user.pk, kind=kind).split("://", 1)[1].split("/", 1)[1]


def test_get_asks_to_confirm_and_changes_nothing(client, teammate):
    response = client.get("/" + _url(teammate, "action_item_assigned"))
    assert response.status_code == 200 and "Stop these emails?" in response.content.decode()
    assert not Preference.objects.exists()


def test_post_without_signing_in_stops_that_kind_of_email_only(client, teammate, postmortem):
    response = client.post("/" + _url(teammate, "action_item_assigned"))
    assert response.status_code == 200 and "Unsubscribed" in response.content.decode()
    pref = Preference.objects.get(user=teammate)
    assert (pref.kind, pref.channel) == ("action_item_assigned", Channel.IN_APP)
    for kind in ("action_item_assigned", "signoff_requested"):
        services.notify(recipients=[teammate], kind=kind, subject=postmortem, text="t", link="/", actor=None)
    assert list(Delivery.objects.values_list("notification__kind", flat=True)) == ["signoff_requested"]


def test_rfc8058_one_click_post_from_a_mail_client(teammate):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/" + _url(teammate, "digest_personal"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Preference.objects.get(user=teammate, kind="digest_personal").channel == Channel.OFF


def test_an_altered_or_foreign_token_is_refused(client, teammate):
    url = "/" + _url(teammate, "mention")
    assert client.post(url[:-3] + "xx/").status_code == 400
    assert client.get("/unsubscribe/not-a-token/").status_code == 400
    assert not Preference.objects.exists()


def test_the_link_in_an_email_works(client, teammate, postmortem):
    services.notify(recipients=[teammate], kind="mention", subject=postmortem, text="t", link="/", actor=None)
    services.delivery_send(delivery_id=Delivery.objects.get().pk)
    (message,) = mail.outbox
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert client.post("/" + link.split("://", 1)[1].split("/", 1)[1]).status_code == 200
    assert Preference.objects.get(user=teammate, kind=Notification.Kind.MENTION).channel == Channel.IN_APP
