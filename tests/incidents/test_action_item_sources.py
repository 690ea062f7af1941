"""Where action items come from: every origin through the form and the API, the source they return,
and one rule (owner in the team, due date not in the past) for pages and API."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import ActionItem
from tests.factories import ACTION_ITEM_ORIGINS as ORIGINS
from tests.factories import action_item_sources

pytestmark = pytest.mark.django_db

ACTIONS = "/api/v1/action-items/"
HX = {"HTTP_HX_REQUEST": "true"}
FORM = "/actions/new/"


@pytest.fixture
def records(service, owner):
    return action_item_sources(system=service, actor=owner)


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ORIGINS))
def test_every_origin_survives_the_form_round_trip(client_as, teammate, team, records, kind):
    record = records[kind]
    client = client_as(teammate)
    form = client.get(f"{FORM}?{kind}={record.pk}").content.decode()
    hidden = f'<input type="hidden" name="{kind}" value="{record.pk}"'
    assert hidden in form, "the link travels in the form, not only in the address"
    assert f'<option value="{team.pk}" selected>' in form
    # The form posts to the bare path (as the page's form does); a refusal keeps the link in the form.
    refused = client.post(FORM, {"title": "", "team": team.pk, "priority": "p2", kind: record.pk}, **HX)
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert hidden in refused.content.decode()
    assert not ActionItem.objects.exists()
    created = client.post(FORM, {"title": f"From {kind}", "team": team.pk, "priority": "p2", kind: record.pk})
    item = ActionItem.objects.get(title=f"From {kind}")
    assert (item.origin, item.source) == (ORIGINS[kind], record)
    assert created.status_code == 303 and created["Location"] == record.get_absolute_url()
    assert f"From {kind}" in client.get(record.get_absolute_url()).content.decode(), "listed where it was made"


def test_postmortem_page_lists_an_item_made_from_it_in_the_browser_flow(client_as, teammate, team, postmortem):
    """The bug: the form posted to /actions/new/ without ?postmortem=, so the item had origin other."""
    client = client_as(teammate)
    client.get(f"{FORM}?postmortem={postmortem.pk}")
    client.post(FORM, {"title": "Alert on pool", "team": team.pk, "priority": "p3", "postmortem": postmortem.pk})
    item = ActionItem.objects.get()
    assert (item.origin, item.incident, item.source) == ("postmortem", postmortem.incident, postmortem)
    page = client.get(postmortem.get_absolute_url()).content.decode()
    assert "Alert on pool" in page and "No action items yet." not in page


def test_a_plan_item_and_a_finding_prefill_the_form(client_as, owner, records):
    plan = client_as(owner).get(f"{FORM}?review_answer={records['review_answer'].pk}").content.decode()
    assert 'value="Improve: Question 1"' in plan and "From the readiness review" in plan
    finding = client_as(owner).get(f"{FORM}?game_day_finding={records['game_day_finding'].pk}").content.decode()
    assert 'value="Alert fired late"' in finding and "Found during the game day “Zone drain”" in finding


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_hidden_incident_answers_like_a_missing_one_on_the_page(
    client_as, outsider, other_team, restricted_incident, method
):
    client = client_as(outsider)
    missing_id = restricted_incident.pk + 1000

    def call(pk):
        data = {"title": "x", "team": other_team.pk, "priority": "p3", "incident": pk}
        if method == "get":
            return client.get(f"{FORM}?incident={pk}")
        return client.post(FORM, data)

    def page(response, pk):
        text = re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode())  # no CSRF tokens
        # Only the id itself, not the same digits inside other numbers or names (small ids are common).
        return re.sub(rf"(?<![0-9A-Za-z]){pk}(?![0-9A-Za-z])", "N", text)

    hidden, missing = call(restricted_incident.pk), call(missing_id)
    assert hidden.status_code == missing.status_code == 404
    assert page(hidden, restricted_incident.pk) == page(missing, missing_id)
    assert not ActionItem.objects.exists()


def test_a_hidden_draft_postmortem_answers_like_a_missing_one(client_as, outsider, other_team, postmortem):
    client = client_as(outsider)
    assert client.get(f"{FORM}?postmortem={postmortem.pk}").status_code == 404
    assert client.get(f"{FORM}?postmortem={postmortem.pk + 1000}").status_code == 404
    assert client.get(f"{FORM}?postmortem=abc").status_code == 404
    response = client.post(FORM, {"title": "x", "team": other_team.pk, "priority": "p3", "postmortem": postmortem.pk})
    assert response.status_code == 404 and not ActionItem.objects.exists()


def test_the_page_refuses_an_owner_outside_the_team_and_a_past_due_date(client_as, owner, outsider, team, incident):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {"title": "x", "team": team.pk, "priority": "p3", "incident": incident.pk, "due_date": past}
    body = client_as(owner).post(FORM, data).content.decode()
    assert "The due date is in the past." in body
    owners = client_as(owner).get(FORM).content.decode()
    assert f'<option value="{outsider.pk}"' not in owners, "only members of the user's teams are offered"
    body = client_as(owner).post(FORM, {**data, "due_date": "", "owner": outsider.pk}).content.decode()
    assert "Select a valid choice" in body
    assert not ActionItem.objects.exists()


def test_editing_keeps_the_same_rule(client_as, owner, teammate, team, other_team, outsider, action_item):
    edit = reverse("incidents:action-item-edit", args=[action_item.pk])
    past = (timezone.localdate() - timedelta(days=2)).isoformat()
    body = client_as(owner).post(edit, {"title": "t", "team": team.pk, "priority": "p3", "due_date": past})
    assert "The due date is in the past." in body.content.decode()
    # Moving it to a team whose member the owner is not: the owner is refused, nothing changes.
    from tests.factories import MembershipFactory

    MembershipFactory(user=owner, team=other_team)
    body = client_as(owner).post(edit, {"title": "t", "team": other_team.pk, "priority": "p3", "owner": teammate.pk})
    assert "is not a member of Search" in body.content.decode()
    action_item.refresh_from_db()
    assert (action_item.team, action_item.due_date, action_item.title) == (team, None, "Add a canary stage")


@pytest.mark.parametrize("kind", list(ORIGINS))
def test_the_detail_page_links_back_to_the_source(client_as, teammate, records, kind):
    record = records[kind]
    item = services.action_item_create(actor=teammate, team=record_team(record), title="Linked", source=record)
    body = client_as(teammate).get(item.get_absolute_url()).content.decode()
    url = record.get_absolute_url()
    assert f'<a href="{url}" id="item-source">' in body
    assert client_as(teammate).get(url.split("#")[0]).status_code == 200


def test_a_source_the_reader_may_not_see_shows_no_link(client_as, outsider, teammate, team, postmortem):
    item = services.action_item_create(actor=teammate, team=team, title="From a draft", source=postmortem)
    body = client_as(outsider).get(item.get_absolute_url()).content.decode()
    assert 'id="item-source"' not in body and postmortem.get_absolute_url() not in body
    assert "not available to you" in body


def record_team(record):
    from incidents import sources

    return sources.kind_of(record).team(record)


# --- API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ORIGINS))
def test_api_derives_the_origin_from_the_link(api_as, teammate, records, kind):
    record = records[kind]
    response = api_as(teammate).post(ACTIONS, {"title": "Linked", "team": "payments", kind: record.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["origin"] == ORIGINS[kind]
    assert body["source"]["type"] == kind and body["source"]["id"] == record.pk
    assert body["source"]["url"] == f"http://testserver{record.get_absolute_url()}"
    assert body["source"]["title"]
    expected_incident = records["incident"].pk if kind in ("incident", "postmortem") else None
    assert body["incident"] == expected_incident


def test_api_without_origin_or_link_is_other_and_never_a_500(api_as, teammate):
    response = api_as(teammate).post(ACTIONS, {"title": "Loose end", "team": "payments"})
    assert response.status_code == 201, response.json()
    assert response.json()["origin"] == "other"
    assert response.json()["source"] == {"type": None, "id": None, "title": None, "url": None}


def test_api_refuses_an_origin_that_contradicts_the_link(api_as, teammate, records):
    client = api_as(teammate)
    answer = records["review_answer"]
    wrong = client.post(ACTIONS, {"title": "x", "team": "payments", "origin": "incident", "review_answer": answer.pk})
    assert wrong.status_code == 400 and "origin" in wrong.json()["error"]["fields"]
    two = client.post(
        ACTIONS,
        {"title": "x", "team": "payments", "review_answer": answer.pk, "game_day": records["game_day"].pk},
    )
    assert two.status_code == 400 and set(two.json()["error"]["fields"]) == {"review_answer", "game_day"}
    other = records["incident"]
    mismatch = client.post(
        ACTIONS, {"title": "x", "team": "payments", "postmortem": records["postmortem"].pk, "incident": other.pk + 99}
    )
    assert mismatch.status_code == 400 and "incident" in mismatch.json()["error"]["fields"]
    missing_pm = client.post(ACTIONS, {"title": "x", "team": "payments", "origin": "postmortem"})
    assert missing_pm.status_code == 201, "an origin without a link is what the caller says"
    assert ActionItem.objects.count() == 1


def test_api_origin_postmortem_with_only_the_incident_links_its_postmortem(api_as, teammate, postmortem):
    body = {"title": "x", "team": "payments", "origin": "postmortem", "incident": postmortem.incident_id}
    response = api_as(teammate).post(ACTIONS, body)
    assert response.status_code == 201, response.json()
    assert response.json()["source"]["type"] == "postmortem" and response.json()["source"]["id"] == postmortem.pk


def test_api_hidden_postmortem_answers_like_a_missing_one(api_as, outsider, postmortem):
    def create(pk):
        return api_as(outsider).post(ACTIONS, {"title": "x", "team": "search", "postmortem": pk})

    hidden, missing = create(postmortem.pk), create(postmortem.pk + 1000)
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["error"]["fields"] == {"postmortem": [f"No postmortem with id {postmortem.pk}."]}
    assert missing.json()["error"]["fields"] == {"postmortem": [f"No postmortem with id {postmortem.pk + 1000}."]}
    assert not ActionItem.objects.exists()


def test_api_source_respects_visibility(api_as, outsider, teammate, team, postmortem):
    item = services.action_item_create(actor=teammate, team=team, title="From a draft", source=postmortem)
    mine = api_as(teammate).get(f"{ACTIONS}{item.pk}/").json()["source"]
    assert mine["id"] == postmortem.pk and mine["title"] == postmortem.incident.title
    theirs = api_as(outsider).get(f"{ACTIONS}{item.pk}/").json()["source"]
    assert theirs == {"type": "postmortem", "id": None, "title": None, "url": None}
    listed = api_as(outsider).get(ACTIONS).json()["results"][0]["source"]
    assert listed == theirs


def test_api_refuses_an_owner_outside_the_team_and_a_past_due_date(api_as, owner, outsider, incident):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    body = {"title": "x", "team": "payments", "incident": incident.pk, "owner": outsider.username, "due_date": past}
    response = api_as(owner).post(ACTIONS, body)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["owner"] == ["charlie is not a member of Payments; the owner must belong to the team."]
    assert fields["due_date"] == ["The due date is in the past."]
    assert not ActionItem.objects.exists()


def test_api_update_keeps_the_rule_but_lets_an_overdue_item_be_edited(api_as, owner, outsider, team, incident):
    late = timezone.localdate() - timedelta(days=3)
    item = services.action_item_create(
        actor=owner, team=team, title="Old", incident=incident, due_date=late, allow_past_due=True
    )
    url = f"{ACTIONS}{item.pk}/"
    assert api_as(owner).patch(url, {"title": "Old, renamed"}).status_code == 200
    past = api_as(owner).patch(url, {"due_date": (late - timedelta(days=1)).isoformat()})
    assert past.status_code == 400 and "due_date" in past.json()["error"]["fields"]
    stranger = api_as(owner).patch(url, {"owner": outsider.username})
    assert stranger.status_code == 400 and "owner" in stranger.json()["error"]["fields"]
    item.refresh_from_db()
    assert (item.title, item.due_date, item.owner) == ("Old, renamed", late, None)


def test_api_sets_the_status_on_create(api_as, teammate):
    body = {"title": "Done already", "team": "payments", "status": "done"}
    response = api_as(teammate).post(ACTIONS, body)
    assert response.status_code == 201 and response.json()["completed_at"]
    refused = api_as(teammate).post(ACTIONS, {"title": "x", "team": "payments", "status": "wont_do"})
    assert refused.status_code == 400 and "wont_do_reason" in refused.json()["error"]["fields"]


def test_schema_says_what_is_required_and_returns_the_source(api_as, admin_user):
    schema = api_as(admin_user).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    create = components["ActionItemCreateRequest"]
    assert sorted(create["required"]) == ["team", "title"]
    assert {"incident", "postmortem", "review_answer", "game_day", "game_day_finding", "origin"} <= set(
        create["properties"]
    )
    assert "source" in components["ActionItem"]["properties"]
    source = components["ActionItemSource"]
    assert set(source["properties"]) == {"type", "id", "title", "url"}


# --- the service -----------------------------------------------------------------------------


def test_the_service_checks_create_permission_and_visibility(outsider, other_team, team, restricted_incident):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.action_item_create(actor=outsider, team=team, title="Not my team")
    with pytest.raises(ValidationError) as refused:
        services.action_item_create(actor=outsider, team=other_team, title="x", incident=restricted_incident)
    assert refused.value.message_dict == {"incident": [f"No incident with id {restricted_incident.pk}."]}
    assert not ActionItem.objects.exists()
