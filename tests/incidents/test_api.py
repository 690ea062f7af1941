from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import ActionItem, Incident, Postmortem

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"
POSTMORTEMS = "/api/v1/postmortems/"
ACTIONS = "/api/v1/action-items/"


def _payload(**extra):
    return {"title": "Pager: checkout 5xx", "severity": "SEV2", "team": "payments", **extra}


# --- incidents -------------------------------------------------------------------------------


def test_create_incident_with_services_tags_and_times(api_as, teammate, team, service):
    started = timezone.now() - timedelta(hours=1)
    response = api_as(teammate).post(
        INCIDENTS,
        _payload(
            services=["checkout-api"],
            tags=["latency"],
            started_at=started.isoformat(),
            detected_at=(started + timedelta(minutes=5)).isoformat(),
        ),
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["services"] == ["checkout-api"] and data["tags"] == ["latency"]
    assert data["time_to_detect"] == "00:05:00"
    assert Incident.objects.get(pk=data["id"]).created_by == teammate


def test_inconsistent_times_are_field_errors(api_as, teammate, team):
    started = timezone.now() - timedelta(hours=1)
    response = api_as(teammate).post(
        INCIDENTS,
        _payload(started_at=started.isoformat(), resolved_at=(started - timedelta(minutes=1)).isoformat()),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "earlier than the start" in error["fields"]["resolved_at"][0]
    assert not Incident.objects.exists()


def test_bad_input_is_400_with_field_messages(api_as, teammate, team):
    response = api_as(teammate).post(INCIDENTS, {"title": "", "severity": "SEV9", "team": "payments"})
    fields = response.json()["error"]["fields"]
    assert response.status_code == 400 and {"title", "severity"} <= set(fields)
    assert not Incident.objects.exists()


def test_idempotency_key_returns_the_same_incident_and_response(api_as, teammate, team):
    client = api_as(teammate)
    first = client.post(INCIDENTS, _payload(), HTTP_IDEMPOTENCY_KEY="abc-123")
    second = client.post(INCIDENTS, _payload(), HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Incident.objects.count() == 1


def test_idempotency_key_reused_with_another_body_is_409(api_as, teammate, team):
    client = api_as(teammate)
    client.post(INCIDENTS, _payload(), HTTP_IDEMPOTENCY_KEY="abc-123")
    response = client.post(INCIDENTS, _payload(title="Other"), HTTP_IDEMPOTENCY_KEY="abc-123")
    assert response.status_code == 409 and response.json()["error"]["code"] == "idempotency_conflict"
    assert Incident.objects.count() == 1


def test_same_external_id_returns_the_first_incident(api_as, teammate, owner, team):
    first = api_as(teammate).post(INCIDENTS, _payload(external_id="PD-9"))
    second = api_as(owner).post(INCIDENTS, _payload(external_id="PD-9", title="Retry from the pager"))
    assert second.status_code == 201 and second.json()["id"] == first.json()["id"]
    assert second.json()["title"] == "Pager: checkout 5xx"
    assert Incident.objects.count() == 1


def test_external_id_of_an_invisible_incident_is_a_conflict(api_as, outsider, restricted_incident, other_team):
    Incident.objects.filter(pk=restricted_incident.pk).update(external_id="SEC-1")
    response = api_as(outsider).post(INCIDENTS, _payload(team="search", external_id="SEC-1"))
    assert response.status_code == 409 and "Suspicious" not in response.content.decode()


def test_outsider_cannot_create_for_another_team(api_as, outsider, team):
    assert api_as(outsider).post(INCIDENTS, _payload()).status_code == 403
    assert not Incident.objects.exists()


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "leader"])
def test_everyone_reads_unrestricted_incidents(request, api_as, incident, persona):
    client = api_as(request.getfixturevalue(persona))
    assert [row["id"] for row in client.get(INCIDENTS).json()["results"]] == [incident.pk]
    assert client.get(f"{INCIDENTS}{incident.pk}/").status_code == 200


@pytest.mark.parametrize(
    "persona,visible", [("outsider", False), ("leader", False), ("named", True), ("admin_user", True)]
)
def test_restricted_incidents_in_the_api(request, api_as, restricted_incident, persona, visible):
    client = api_as(request.getfixturevalue(persona))
    ids = [row["id"] for row in client.get(INCIDENTS).json()["results"]]
    assert (restricted_incident.pk in ids) is visible
    assert client.get(f"{INCIDENTS}{restricted_incident.pk}/").status_code == (200 if visible else 404)
    assert client.get(f"{INCIDENTS}{restricted_incident.pk}/timeline/").status_code == (200 if visible else 404)


def test_teammate_updates_outsider_cannot(api_as, teammate, outsider, incident):
    url = f"{INCIDENTS}{incident.pk}/"
    assert api_as(outsider).patch(url, {"status": "identified"}).status_code == 403
    response = api_as(teammate).patch(url, {"status": "identified", "severity": "SEV2"}, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200 and response.json()["status"] == "identified" and response["ETag"] == 'W/"2"'
    bodies = list(incident.timeline.values_list("body", flat=True))
    assert (
        "Status changed from Investigating to Identified." in bodies and "Severity changed from SEV3 to SEV2." in bodies
    )


def test_api_filters_match_the_page_filters(api_as, owner, incident, team, other_team, sev):
    services.incident_create(actor=owner, team=team, title="Payout batch late", severity=sev[1], tags=["bank"])
    client = api_as(owner)

    def titles(**params):
        return {row["title"] for row in client.get(INCIDENTS, params).json()["results"]}

    assert titles(severity="SEV1") == {"Payout batch late"}
    assert titles(service="checkout-api") == {"Checkout errors after deploy"}
    assert titles(tag="bank") == {"Payout batch late"}
    assert titles(q="checkout") == {"Checkout errors after deploy"}
    assert titles(team="search") == set()


def test_timeline_over_the_api(api_as, teammate, outsider, incident):
    url = f"{INCIDENTS}{incident.pk}/timeline/"
    response = api_as(teammate).post(url, {"kind": "decision", "body": "Roll back."})
    assert response.status_code == 201 and response.json()["author"]["username"] == "bob"
    assert [e["body"] for e in api_as(outsider).get(url).json()][-1] == "Roll back."
    assert api_as(outsider).post(url, {"body": "Me too"}).status_code == 403
    assert api_as(teammate).post(url, {"kind": "rumour", "body": ""}).status_code == 400
    response = api_as(teammate).post(url, {"kind": "status_change", "body": "Resolved!"})
    assert response.status_code == 400 and "kind" in response.json()["error"]["fields"], "only services log changes"


# --- incidents: versions, one-click actions, durations --------------------------------------------


def test_create_and_read_answer_with_the_etag(api_as, teammate, team):
    created = api_as(teammate).post(INCIDENTS, _payload())
    assert created.status_code == 201 and created["ETag"] == 'W/"1"'
    got = api_as(teammate).get(f"{INCIDENTS}{created.json()['id']}/")
    assert got["ETag"] == 'W/"1"' and got.json()["version"] == 1 and got.json()["postmortem"] is None


def test_two_api_writers_of_one_version_one_gets_412(api_as, owner, teammate, incident):
    url = f"{INCIDENTS}{incident.pk}/"
    first = api_as(owner).patch(url, {"title": "Checkout down"}, HTTP_IF_MATCH='W/"1"')
    second = api_as(teammate).patch(url, {"summary": "Bad deploy"}, HTTP_IF_MATCH='W/"1"')
    assert first.status_code == 200 and second.status_code == 412 and second["ETag"] == 'W/"2"'
    incident.refresh_from_db()
    assert (incident.title, incident.summary) == ("Checkout down", "")
    put = api_as(teammate).put(url, {**_payload(), "title": "Replaced", "severity": "SEV3"}, HTTP_IF_MATCH='"2"')
    assert put.status_code == 200 and put.json()["title"] == "Replaced" and put["ETag"] == 'W/"3"'


def test_status_and_severity_actions_need_if_match_and_log_the_change(api_as, teammate, incident):
    url = f"{INCIDENTS}{incident.pk}/"
    assert api_as(teammate).post(f"{url}status/", {"status": "monitoring"}).status_code == 428
    response = api_as(teammate).post(f"{url}status/", {"status": "monitoring"}, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200 and response.json()["status"] == "monitoring" and response["ETag"] == 'W/"2"'
    assert api_as(teammate).post(f"{url}severity/", {"severity": "SEV1"}, HTTP_IF_MATCH='W/"1"').status_code == 412
    response = api_as(teammate).post(f"{url}severity/", {"severity": "SEV1"}, HTTP_IF_MATCH='W/"2"')
    assert response.status_code == 200 and response.json()["severity"] == "SEV1"
    bad = api_as(teammate).post(f"{url}status/", {"status": "done"}, HTTP_IF_MATCH='W/"3"')
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
    bodies = list(incident.timeline.values_list("body", flat=True))
    assert (
        "Status changed from Investigating to Monitoring." in bodies and "Severity changed from SEV3 to SEV1." in bodies
    )


def test_resolving_through_the_api_answers_with_the_postmortem_it_created(api_as, teammate, outsider, sev2_incident):
    incident = sev2_incident
    response = api_as(teammate).post(f"{INCIDENTS}{incident.pk}/status/", {"status": "resolved"}, HTTP_IF_MATCH="*")
    assert response.status_code == 200
    postmortem = Postmortem.objects.get(incident=incident)
    assert response.json()["postmortem"] == {
        "id": postmortem.pk,
        "url": f"http://testserver{POSTMORTEMS}{postmortem.pk}/",
        "status": "draft",
        "required": True,
        "due_date": postmortem.due_date.isoformat(),
    }
    # The draft is the team's: other readers see the incident but not that a draft exists.
    assert api_as(outsider).get(f"{INCIDENTS}{incident.pk}/").json()["postmortem"] is None


def test_outsiders_cannot_use_the_one_click_actions(api_as, outsider, incident):
    url = f"{INCIDENTS}{incident.pk}/status/"
    assert api_as(outsider).post(url, {"status": "closed"}, HTTP_IF_MATCH="*").status_code == 403
    incident.refresh_from_db()
    assert incident.status == "investigating"


def test_date_only_times_are_reported_and_have_no_time_to_x(api_as, teammate, team, sev):
    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    incident = services.incident_create(
        actor=teammate, team=team, title="Imported", severity=sev[3], status="closed", started_at=day,
        resolved_at=day, date_only_times=["started_at", "resolved_at"],
    )  # fmt: skip
    data = api_as(teammate).get(f"{INCIDENTS}{incident.pk}/").json()
    assert data["date_only_times"] == ["started_at", "resolved_at"] and data["time_to_resolve"] is None
    bad = api_as(teammate).patch(f"{INCIDENTS}{incident.pk}/", {"date_only_times": ["lunch"]}, HTTP_IF_MATCH="*")
    assert bad.status_code == 400 and "date_only_times.0" in bad.json()["error"]["fields"]


# --- postmortems -----------------------------------------------------------------------------


def _url(postmortem, suffix=""):
    return f"{POSTMORTEMS}{postmortem.pk}/{suffix}"


def test_get_returns_an_etag(api_as, teammate, postmortem):
    response = api_as(teammate).get(_url(postmortem))
    assert response.status_code == 200 and response["ETag"] == 'W/"1"'
    assert response.json()["version"] == 1 and response.json()["status"] == "draft"


def test_update_without_if_match_is_428(api_as, teammate, postmortem):
    response = api_as(teammate).patch(_url(postmortem), {"summary": "x"})
    assert response.status_code == 428 and response.json()["error"]["code"] == "precondition_required"
    assert Postmortem.objects.get(pk=postmortem.pk).summary == ""


def test_update_with_a_stale_etag_is_412(api_as, owner, teammate, postmortem):
    api_as(owner).patch(_url(postmortem), {"summary": "Alice"}, HTTP_IF_MATCH='W/"1"')
    response = api_as(teammate).patch(_url(postmortem), {"summary": "Bob"}, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 412 and response["ETag"] == 'W/"2"'
    assert response.json()["error"]["current_version"] == 2
    assert Postmortem.objects.get(pk=postmortem.pk).summary == "Alice"


def test_update_with_the_current_etag_saves_a_revision(api_as, teammate, postmortem):
    factors = [{"category": "dependency", "description": "The DNS provider throttled us."}]
    response = api_as(teammate).put(
        _url(postmortem), {"summary": "DNS", "factors": factors}, HTTP_IF_MATCH='"1"', format="json"
    )
    assert response.status_code == 200 and response["ETag"] == 'W/"2"'
    assert response.json()["factors"] == factors
    revisions = api_as(teammate).get(_url(postmortem, "revisions/")).json()
    assert [r["version"] for r in revisions] == [2, 1] and revisions[0]["content"]["summary"] == "DNS"


def test_bad_factors_are_400(api_as, teammate, postmortem):
    response = api_as(teammate).patch(
        _url(postmortem), {"factors": [{"category": "nope", "description": "x"}]}, HTTP_IF_MATCH='W/"1"'
    )
    assert response.status_code == 400 and "factors" in response.json()["error"]["fields"]
    assert Postmortem.objects.get(pk=postmortem.pk).version == 1


def test_restore_over_the_api(api_as, teammate, postmortem):
    client = api_as(teammate)
    client.patch(_url(postmortem), {"summary": "one"}, HTTP_IF_MATCH='W/"1"')
    client.patch(_url(postmortem), {"summary": "two"}, HTTP_IF_MATCH='W/"2"')
    assert client.post(_url(postmortem, "restore/"), {"version": 2}).status_code == 428
    assert client.post(_url(postmortem, "restore/"), {"version": 2}, HTTP_IF_MATCH='W/"1"').status_code == 412
    response = client.post(_url(postmortem, "restore/"), {"version": 2}, HTTP_IF_MATCH='W/"3"')
    assert response.status_code == 200 and response.json()["summary"] == "one" and response.json()["version"] == 4
    assert client.post(_url(postmortem, "restore/"), {"version": 99}, HTTP_IF_MATCH="*").status_code == 404
    response = client.post(_url(postmortem, "restore/"), {"version": 3}, HTTP_IF_MATCH="*")
    assert response.status_code == 200 and response.json()["summary"] == "two" and response["ETag"] == 'W/"5"'


def test_create_postmortem_once_per_incident(api_as, teammate, outsider, incident):
    assert api_as(outsider).post(POSTMORTEMS, {"incident": incident.pk}).status_code == 403
    response = api_as(teammate).post(POSTMORTEMS, {"incident": incident.pk, "summary": "Start"})
    assert response.status_code == 201 and response.json()["summary"] == "Start" and response["ETag"] == 'W/"2"'
    assert api_as(teammate).post(POSTMORTEMS, {"incident": incident.pk}).status_code == 409


def test_workflow_over_the_api(api_as, owner, teammate, leader, outsider, postmortem):
    client = api_as(teammate)
    assert client.post(_url(postmortem, "submit/"), {"reviewers": []}).status_code == 400
    assert client.post(_url(postmortem, "publish/")).status_code == 403, "members do not publish"
    response = client.post(_url(postmortem, "submit/"), {"reviewers": ["erin"]})
    assert response.status_code == 200 and response.json()["reviewers"] == ["erin"]
    assert api_as(outsider).get(_url(postmortem)).status_code == 404, "still a draft for outsiders"
    assert api_as(leader).post(_url(postmortem, "comments/"), {"body": "Looks good"}).status_code == 201
    response = api_as(owner).post(_url(postmortem, "publish/"))
    assert response.status_code == 400 and "summary" in response.json()["error"]["fields"], "no summary yet"
    api_as(owner).patch(_url(postmortem), {"summary": "S"}, HTTP_IF_MATCH='W/"1"')
    response = api_as(owner).post(_url(postmortem, "publish/"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "approvals_required"
    assert api_as(leader).post(_url(postmortem, "approve/")).json()["approvals"][0]["reviewer"] == "erin"
    response = api_as(owner).post(_url(postmortem, "publish/"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "confirmation_required"
    response = api_as(owner).post(_url(postmortem, "publish/"), {"confirm": True})
    assert response.status_code == 200 and response.json()["published_at"]
    assert response.json()["publish_confirmed"] == ["1 comment is not resolved.", "No action item follows up on it."]
    assert api_as(outsider).get(_url(postmortem)).status_code == 200
    assert [c["body"] for c in api_as(outsider).get(_url(postmortem, "comments/")).json()] == ["Looks good"]
    response = api_as(owner).post(_url(postmortem, "return-to-draft/"))
    assert (
        response.status_code == 409 and "published; it does not go back to draft" in response.json()["error"]["message"]
    )


@pytest.mark.parametrize("persona,count", [("owner", 1), ("leader", 1), ("outsider", 0)])
def test_draft_postmortems_in_the_list(request, api_as, postmortem, persona, count):
    assert api_as(request.getfixturevalue(persona)).get(POSTMORTEMS).json()["count"] == count


def test_outsider_cannot_edit_a_published_postmortem(api_as, outsider, published):
    etag = f'W/"{published.version}"'
    assert api_as(outsider).patch(_url(published), {"summary": "x"}, HTTP_IF_MATCH=etag).status_code == 403
    assert api_as(outsider).post(_url(published, "restore/"), {"version": 1}, HTTP_IF_MATCH=etag).status_code == 403


# --- action items ----------------------------------------------------------------------------


def test_action_item_crud_and_permissions(api_as, teammate, outsider, owner, incident):
    response = api_as(teammate).post(
        ACTIONS, {"title": "Add canary", "team": "payments", "origin": "incident", "incident": incident.pk}
    )
    assert response.status_code == 201, response.json()
    url = f"{ACTIONS}{response.json()['id']}/"
    assert api_as(outsider).post(ACTIONS, {"title": "x", "team": "payments", "origin": "other"}).status_code == 403
    assert api_as(outsider).patch(url, {"status": "done"}).status_code == 403
    assert api_as(teammate).patch(url, {"status": "wont_do"}).status_code == 400
    response = api_as(teammate).patch(url, {"status": "wont_do", "wont_do_reason": "Covered elsewhere"})
    assert response.status_code == 200 and response.json()["completed_at"]
    assert api_as(teammate).delete(url).status_code == 403, "members do not delete"
    assert api_as(owner).delete(url).status_code == 204
    assert not ActionItem.objects.exists()


def test_action_item_of_an_invisible_incident_cannot_be_created(api_as, outsider, restricted_incident):
    def create(incident_id):
        body = {"title": "x", "team": "search", "origin": "incident", "incident": incident_id}
        return api_as(outsider).post(ACTIONS, body)

    hidden, missing = create(restricted_incident.pk), create(restricted_incident.pk + 1000)
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["error"]["fields"]["incident"] == [f"No incident with id {restricted_incident.pk}."]
    assert missing.json()["error"]["fields"]["incident"] == [f"No incident with id {restricted_incident.pk + 1000}."]
    assert not ActionItem.objects.exists()


def test_action_item_api_filters(api_as, teammate, owner, team, other_team, outsider, named, restricted_incident):
    late = timezone.localdate() - timedelta(days=1)
    services.action_item_create(
        actor=owner, team=team, title="Late", origin="review", due_date=late, owner=owner, allow_past_due=True
    )
    services.action_item_create(actor=outsider, team=other_team, title="Other", origin="game_day")
    services.action_item_create(
        actor=None, team=other_team, title="Secret", origin="incident", incident=restricted_incident
    )
    client = api_as(teammate)

    def titles(**params):
        return {row["title"] for row in client.get(ACTIONS, params).json()["results"]}

    assert titles() == {"Late", "Other"}
    assert titles(overdue="true") == {"Late"}
    assert titles(origin="game_day") == {"Other"}
    assert titles(owner="alice") == {"Late"}
    assert titles(team="payments") == {"Late"}
    assert "Secret" in {row["title"] for row in api_as(named).get(ACTIONS).json()["results"]}
