"""The settings page: preferences per kind, the person's webhook and pause, team webhooks for leads."""

import pytest

from notifications.models import Channel, PersonChannel, Preference, TeamChannel
from tests.factories import TeamChannelFactory

pytestmark = pytest.mark.django_db

URL = "/notifications/settings/"
SECRET = "https://hooks.example.com/services/T1/B1/abcdefghijklmnopqrstuvwx"


def _prefs_post(**changes):
    from notifications.models import Notification

    data = {}
    for kind in Notification.Kind:
        data[f"{kind}-channel"] = "email" if kind in ("action_item_assigned",) else "in_app"
        data[f"{kind}-timing"] = "immediate"
    data["incident_declared-max_severity"] = "2"
    data.update(changes)
    return data


def test_the_page_shows_defaults_and_is_linked_from_the_list_and_the_menu(client_as, teammate):
    client = client_as(teammate)
    body = client.get(URL).content.decode()
    assert "Action item assigned to you" in body and 'value="email" selected' in body
    assert URL in client.get("/notifications/").content.decode()
    assert "Team channels" not in body, "a plain member sets no team webhook"


def test_saving_preferences_stores_them_for_the_person_only(client_as, teammate):
    data = _prefs_post(**{"mention-channel": "chat", "mention-timing": "digest", "incident_declared-max_severity": "4"})
    response = client_as(teammate).post("/notifications/settings/preferences/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Saved." in response.content.decode()
    pref = Preference.objects.get(user=teammate, kind="mention")
    assert (pref.channel, pref.timing) == ("chat", "digest")
    assert Preference.objects.get(user=teammate, kind="incident_declared").max_severity == 4


def test_bad_preferences_change_nothing_and_say_why(client_as, teammate):
    data = _prefs_post(**{"mention-channel": "pigeon", "digest_team-timing": "digest"})
    response = client_as(teammate).post("/notifications/settings/preferences/", data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "Select a valid choice" in body
    assert not Preference.objects.exists()


def test_a_webhook_is_never_shown_back_and_must_be_https(client_as, teammate):
    client = client_as(teammate)
    bad = client.post("/notifications/settings/chat/", {"me-webhook_url": "http://hooks.example.com/x"})
    assert bad.status_code == 200 and "Enter a valid URL" in bad.content.decode()
    assert not PersonChannel.objects.exists()
    client.post("/notifications/settings/chat/", {"me-webhook_url": SECRET})
    assert PersonChannel.objects.get(user=teammate).webhook_url == SECRET
    body = client.get(URL).content.decode()
    assert SECRET not in body and "…uvwx" in body
    client.post("/notifications/settings/chat/", {"me-paused": "on"})
    channel = PersonChannel.objects.get(user=teammate)
    assert channel.paused and channel.webhook_url == SECRET, "blank keeps the stored webhook"


def test_a_lead_sets_the_team_webhook_a_member_gets_403_an_outsider_too(client_as, owner, teammate, outsider, team):
    url = f"/notifications/settings/teams/{team.slug}/"
    field = f"team-{team.pk}-webhook_url"
    assert client_as(teammate).post(url, {field: SECRET}).status_code == 403
    assert client_as(outsider).post(url, {field: SECRET}).status_code == 403
    assert not TeamChannel.objects.exists()
    client = client_as(owner)
    assert "Team channels" in client.get(URL).content.decode()
    client.post(url, {field: SECRET})
    assert TeamChannel.objects.get(team=team).webhook_url == SECRET
    assert SECRET not in client.get(URL).content.decode()


def test_the_admin_never_shows_a_webhook(client_as, admin_user, team):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    channel = TeamChannelFactory(team=team, webhook_url=SECRET)
    body = client_as(admin_user).get(f"/admin/notifications/teamchannel/{channel.pk}/change/").content.decode()
    assert SECRET not in body and "…uvwx" in body


def test_api_lists_and_changes_your_preferences(api_as, teammate, leader):
    api = api_as(teammate)
    rows = api.get("/api/v1/notifications/preferences/").json()
    assert {r["kind"]: r["channel"] for r in rows}["signoff_requested"] == Channel.EMAIL
    response = api.patch("/api/v1/notifications/preferences/", [{"kind": "mention", "channel": "off"}], format="json")
    assert response.status_code == 200
    assert {r["kind"]: r["channel"] for r in response.json()}["mention"] == "off"
    assert list(Preference.objects.values_list("user", "kind", "channel")) == [(teammate.pk, "mention", "off")]
    assert api_as(leader).get("/api/v1/notifications/preferences/").json()[0]["channel"] != "off"


def test_api_refuses_bad_preferences_with_field_messages(api_as, teammate):
    api = api_as(teammate)
    bad = [{"kind": "mention", "channel": "pigeon"}, {"kind": "digest_team", "channel": "email", "timing": "digest"}]
    response = api.patch("/api/v1/notifications/preferences/", bad, format="json")
    assert response.status_code == 400
    assert "channel" in str(response.json())
    response = api.patch("/api/v1/notifications/preferences/", bad[1:], format="json")
    assert response.status_code == 400 and "digest_team-timing" in response.json()["error"]["fields"]
    assert not Preference.objects.exists()
