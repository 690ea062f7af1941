from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import ActionItem

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def items(team, other_team, owner, teammate, outsider):
    late = timezone.localdate() - timedelta(days=3)
    make = services.action_item_create
    return {
        "mine": make(
            actor=owner,
            team=team,
            title="Rotate keys",
            origin="incident",
            owner=teammate,
            due_date=late,
            allow_past_due=True,
        ),
        "team": make(actor=owner, team=team, title="Write runbook", origin="review", owner=owner),
        "other": make(actor=outsider, team=other_team, title="Tune ranker", origin="game_day", owner=outsider),
    }


def _titles(body):
    return {t for t in ("Rotate keys", "Write runbook", "Tune ranker", "Hide me") if t in body}


def test_my_team_and_all_lists(client_as, teammate, items):
    client = client_as(teammate)
    assert _titles(client.get(reverse("incidents:action-item-mine")).content.decode()) == {"Rotate keys"}
    assert _titles(client.get(reverse("incidents:action-item-team")).content.decode()) == {
        "Rotate keys",
        "Write runbook",
    }
    assert _titles(client.get(reverse("incidents:action-item-list")).content.decode()) == {
        "Rotate keys",
        "Write runbook",
        "Tune ranker",
    }


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"overdue": "true"}, {"Rotate keys"}),
        ({"overdue": "false"}, {"Write runbook", "Tune ranker"}),
        ({"origin": "game_day"}, {"Tune ranker"}),
        ({"team": "search"}, {"Tune ranker"}),
        ({"owner": "alice"}, {"Write runbook"}),
        ({"status": "open"}, {"Rotate keys", "Write runbook", "Tune ranker"}),
        ({"status": "done"}, set()),
        ({"q": "runbook"}, {"Write runbook"}),
    ],
)
def test_filters(client_as, teammate, items, params, expected):
    body = client_as(teammate).get(reverse("incidents:action-item-list"), params).content.decode()
    assert _titles(body) == expected


def test_items_of_restricted_incidents_are_hidden(client_as, outsider, named, restricted_incident, admin_user):
    item = services.action_item_create(
        actor=admin_user,
        team=restricted_incident.team,
        title="Hide me",
        origin="incident",
        incident=restricted_incident,
    )
    assert "Hide me" not in client_as(outsider).get(reverse("incidents:action-item-list")).content.decode()
    assert client_as(outsider).get(item.get_absolute_url()).status_code == 404
    assert "Hide me" in client_as(named).get(reverse("incidents:action-item-list")).content.decode()
    assert client_as(named).get(item.get_absolute_url()).status_code == 200


def test_quick_status_change_over_htmx(client_as, teammate, items):
    item = items["mine"]
    response = client_as(teammate).post(
        reverse("incidents:action-item-status", args=[item.pk]), {"status": "in_progress"}, **HX
    )
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="item-{item.pk}">')
    assert '<option value="in_progress" selected>' in body
    assert ActionItem.objects.get(pk=item.pk).status == "in_progress"


def test_wont_do_without_a_reason_is_refused(client_as, teammate, items):
    item = items["mine"]
    body = (
        client_as(teammate)
        .post(
            reverse("incidents:action-item-status", args=[item.pk]), {"status": "wont_do", "wont_do_reason": " "}, **HX
        )
        .content.decode()
    )
    assert "Say why this will not be done." in body
    assert ActionItem.objects.get(pk=item.pk).status == "open"
    client_as(teammate).post(
        reverse("incidents:action-item-status", args=[item.pk]),
        {"status": "wont_do", "wont_do_reason": "Superseded by the new gateway."},
        **HX,
    )
    item.refresh_from_db()
    assert item.status == "wont_do" and item.wont_do_reason == "Superseded by the new gateway."


def test_outsider_cannot_change_status_and_gets_no_form(client_as, outsider, items):
    item = items["mine"]
    body = client_as(outsider).get(reverse("incidents:action-item-list")).content.decode()
    assert f'action="/actions/{item.pk}/status/"' not in body
    assert f'action="/actions/{items["other"].pk}/status/"' in body
    url = reverse("incidents:action-item-status", args=[item.pk])
    assert client_as(outsider).post(url, {"status": "done"}, **HX).status_code == 403
    assert ActionItem.objects.get(pk=item.pk).status == "open"


def test_create_from_an_incident(client_as, teammate, incident, team):
    url = reverse("incidents:action-item-create") + f"?incident={incident.pk}"
    form = client_as(teammate).get(url).content.decode()
    assert f'<option value="{team.pk}" selected>' in form
    response = client_as(teammate).post(url, {"title": "Add canary", "team": team.pk, "priority": "p2"})
    item = ActionItem.objects.get(title="Add canary")
    assert response.status_code == 303
    assert item.origin == "incident" and item.incident == incident and item.source == incident


def test_create_from_a_postmortem(client_as, teammate, postmortem, team):
    url = reverse("incidents:action-item-create") + f"?postmortem={postmortem.pk}"
    client_as(teammate).post(url, {"title": "Alert on pool", "team": team.pk, "priority": "p3"})
    item = ActionItem.objects.get(title="Alert on pool")
    assert item.origin == "postmortem" and item.source == postmortem and item.incident == postmortem.incident
    assert "Alert on pool" in client_as(teammate).get(postmortem.get_absolute_url()).content.decode()


def test_cannot_create_from_an_invisible_postmortem(client_as, outsider, postmortem, other_team):
    url = reverse("incidents:action-item-create") + f"?postmortem={postmortem.pk}"
    assert client_as(outsider).post(url, {"title": "x", "team": other_team.pk, "priority": "p3"}).status_code == 404
    assert not ActionItem.objects.exists()


def test_create_reports_bad_input(client_as, teammate, team):
    response = client_as(teammate).post(
        reverse("incidents:action-item-create"),
        {"title": "", "team": team.pk, "priority": "p9", "tracker_url": "nope"},
    )
    body = response.content.decode()
    assert "This field is required." in body and "Enter a valid URL." in body and "Select a valid choice" in body
    assert not ActionItem.objects.exists()


def test_detail_and_edit_permissions(client_as, teammate, outsider, items, team):
    item = items["mine"]
    assert client_as(outsider).get(item.get_absolute_url()).status_code == 200
    edit = reverse("incidents:action-item-edit", args=[item.pk])
    assert client_as(outsider).get(edit).status_code == 403
    data = {"title": "Rotate all keys", "team": team.pk, "priority": "p1", "owner": teammate.pk}
    assert client_as(outsider).post(edit, data).status_code == 403
    assert client_as(teammate).post(edit, data).status_code == 303
    item.refresh_from_db()
    assert item.title == "Rotate all keys" and item.priority == "p1"
