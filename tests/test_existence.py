"""Nothing confirms that a record hidden from the caller exists.

A hidden (restricted) incident, used as a postmortem's incident, as an `external_id`, as an import
key, or through its tags, must answer exactly like one that does not exist (or, where a key is
taken, like any other conflict, naming nothing about what holds it). Where it matters the responses
are compared byte for byte: the same request, once while the hidden record exists and once without it.
(Action items for a hidden incident are covered with the action item API.)
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services as incident_services
from incidents.defaults import ensure_severities
from incidents.models import Incident, Tag
from learning.models import Follow, LibraryEntry
from tests.factories import published_postmortem

pytestmark = pytest.mark.django_db

SECRET_TAG = "project-nightjar"


@pytest.fixture
def hidden(team, owner):
    """A restricted incident of `team`, named only on `owner`: teammates and outsiders cannot see it."""
    return incident_services.incident_create(
        actor=None,
        team=team,
        title="Leaked signing keys",
        severity=ensure_severities()[1],
        restricted=True,
        access_list=[owner],
        tags=[SECRET_TAG],
        external_id="SEC-1",
    )


def _import(client, record: dict, **options: str):
    upload = SimpleUploadedFile("records.jsonl", json.dumps(record).encode())
    return client.post("/api/v1/library/import/", {"files": [upload], **options}, format="multipart")


# --- a hidden incident as the postmortem's incident ----------------------------------------------


@pytest.mark.parametrize("with_postmortem", [False, True])
def test_a_postmortem_for_a_hidden_incident_answers_like_a_missing_incident(
    api_as, hidden, teammate, outsider, with_postmortem
):
    if with_postmortem:
        incident_services.postmortem_start(incident=hidden, actor=None)
    body = {"incident": hidden.pk, "summary": "We found it."}
    while_hidden = {
        user: api_as(user).post("/api/v1/postmortems/", body, format="json") for user in (teammate, outsider)
    }
    Incident.objects.filter(pk=hidden.pk).delete()
    for user, response in while_hidden.items():
        missing = api_as(user).post("/api/v1/postmortems/", body, format="json")
        assert response.status_code == missing.status_code == 400
        assert response.content == missing.content
        assert response.json()["error"]["fields"] == {
            "incident": [f'Invalid pk "{hidden.pk}" - object does not exist.']
        }


def test_a_postmortem_for_a_visible_incident_still_works_and_a_named_reader_may_start_one(api_as, hidden, owner):
    response = api_as(owner).post("/api/v1/postmortems/", {"incident": hidden.pk}, format="json")
    assert response.status_code == 201 and response.json()["incident"] == hidden.pk


# --- a hidden incident's external_id ------------------------------------------------------------


def _incident_body(team_slug: str, external_id: str) -> dict:
    return {"title": "Keys in a build log", "severity": "SEV1", "team": team_slug, "external_id": external_id}


def test_a_hidden_incidents_external_id_is_a_conflict_that_names_nothing(
    api_as, hidden, teammate, outsider, team, other_team
):
    """The 409 is the same for any hidden holder (another team, title, id): it carries nothing about it."""
    other = incident_services.incident_create(
        actor=None,
        team=other_team,
        title="Other secret",
        severity=hidden.severity,
        restricted=True,
        external_id="SEC-2",
    )
    count = Incident.objects.count()
    first = api_as(teammate).post("/api/v1/incidents/", _incident_body(team.slug, "SEC-1"), format="json")
    second = api_as(teammate).post("/api/v1/incidents/", _incident_body(team.slug, "SEC-2"), format="json")
    third = api_as(outsider).post("/api/v1/incidents/", _incident_body(other_team.slug, "SEC-1"), format="json")
    assert first.status_code == second.status_code == third.status_code == 409
    assert first.content == second.content == third.content
    assert first.json()["error"] == {
        "status": 409,
        "code": "conflict",
        "message": "This external_id is already in use; send another one.",
    }
    for word in (str(hidden.pk), str(other.pk), "Leaked", "secret", "shared", "exist"):
        assert word not in first.content.decode()
    assert Incident.objects.count() == count, "nothing was created"


def test_a_visible_incidents_external_id_still_replays_it(api_as, team, teammate):
    visible = incident_services.incident_create(
        actor=None, team=team, title="Visible", severity=ensure_severities()[2], external_id="PAY-1"
    )
    response = api_as(teammate).post("/api/v1/incidents/", _incident_body(team.slug, "PAY-1"), format="json")
    assert response.status_code == 201 and response.json()["id"] == visible.pk
    assert response["Idempotent-Replayed"] == "true"


# --- a hidden incident's import key -------------------------------------------------------------


def test_a_hidden_incidents_import_key_is_refused_like_any_taken_key(api_as, admin_user, outsider, owner, other_team):
    """The refusal is the same bytes whether the incident holding the key is hidden from the importer or
    merely belongs to another team."""
    ensure_severities()  # a transactional test elsewhere may have flushed the seeded ones
    record = {"id": "acme-2024-keys", "title": "Keys leaked", "date": "2024-03-01", "team": "payments"}
    assert _import(api_as(admin_user), record).json()["created"] == 1
    incident = Incident.objects.get(external_id="import:acme-2024-keys")
    incident_services.incident_update(
        incident=incident, actor=None, data={"restricted": True, "access_list": [owner]}, expected_version=None
    )

    mine = {**record, "team": other_team.slug, "title": "My own write-up"}
    while_hidden = _import(api_as(outsider), mine)
    incident_services.incident_update(incident=incident, actor=None, data={"restricted": False}, expected_version=None)
    while_visible = _import(api_as(outsider), mine)
    assert while_hidden.status_code == while_visible.status_code == 200
    assert while_hidden.content == while_visible.content
    assert while_hidden.json()["refused"] == [
        {
            "file": "records.jsonl",
            "line": 1,
            "message": "id 'acme-2024-keys' is already in use by a postmortem you may not change; use another id",
        }
    ]
    incident.refresh_from_db()
    assert incident.title == "Keys leaked"


def test_a_native_key_of_a_hidden_incident_imports_like_an_unknown_one(api_as, hidden, outsider, other_team):
    """`opsx-<id>` with the right date names an incident only for those who may see it; for others it is a
    new key, exactly as for an id that does not exist, so it confirms neither the id nor its date."""
    date = hidden.started_at.date().isoformat()
    base = {"title": "Our own notes", "date": date, "team": other_team.slug}
    hidden_key = _import(api_as(outsider), {**base, "id": f"opsx-{hidden.pk}"})
    missing_key = _import(api_as(outsider), {**base, "id": "opsx-999999"})
    assert hidden_key.status_code == missing_key.status_code == 200
    assert hidden_key.content == missing_key.content
    assert hidden_key.json()["created"] == 1
    hidden.refresh_from_db()
    assert hidden.title == "Leaked signing keys" and hidden.team_id != other_team.pk


# --- a tag only hidden incidents carry ----------------------------------------------------------


def _forget_secret_tag(incident: Incident) -> None:
    incident.tags.clear()
    Tag.objects.filter(name=SECRET_TAG).delete()


def test_incident_filters_treat_a_hidden_only_tag_as_unknown(api_as, client_as, hidden, teammate, owner):
    while_hidden = api_as(teammate).get("/api/v1/incidents/", {"tag": SECRET_TAG})
    assert SECRET_TAG not in client_as(teammate).get("/incidents/").content.decode(), "the tag picker leaves it out"
    assert SECRET_TAG in client_as(owner).get("/incidents/").content.decode()
    assert [i["id"] for i in api_as(owner).get("/api/v1/incidents/", {"tag": SECRET_TAG}).json()["results"]] == [
        hidden.pk
    ]
    _forget_secret_tag(hidden)
    unknown = api_as(teammate).get("/api/v1/incidents/", {"tag": SECRET_TAG})
    assert while_hidden.status_code == unknown.status_code == 400
    assert while_hidden.content == unknown.content


def test_library_filters_treat_a_hidden_only_tag_as_unknown(api_as, team, owner, teammate):
    published_postmortem(team=team, title="Visible one", tags=("database",))
    secret = published_postmortem(
        team=team, title="Signing keys", restricted=True, access_list=(owner,), tags=(SECRET_TAG,)
    )
    urls = ["/api/v1/library/", "/api/v1/library/facets/", "/api/v1/library/export/"]

    def responses():
        out = []
        for url in urls:
            response = api_as(teammate).get(url, {"tag": SECRET_TAG})
            out.append((response.status_code, response.getvalue() if response.streaming else response.content))
        return out

    while_hidden = responses()
    Incident.objects.filter(pk=secret.incident_id).delete()
    Tag.objects.filter(name=SECRET_TAG).delete()
    assert not LibraryEntry.objects.filter(title="Signing keys").exists()
    assert while_hidden == responses()


def test_following_a_hidden_only_tag_is_like_following_an_unused_one(api_as, hidden, teammate):
    followed = api_as(teammate).post("/api/v1/follows/", {"kind": "tag", "value": SECRET_TAG})
    unused = api_as(teammate).post("/api/v1/follows/", {"kind": "tag", "value": "never-used"})
    assert followed.status_code == unused.status_code == 201
    assert followed.json()["label"] == SECRET_TAG and unused.json()["label"] == "never-used"
    assert api_as(teammate).get("/api/v1/follows/for-you/").json()["results"] == []
    assert Follow.objects.filter(user=teammate).count() == 2


def test_importing_with_unknown_tags_refused_treats_a_hidden_only_tag_as_unknown(api_as, hidden, teammate):
    def refusal(tag: str) -> str:
        record = {"id": f"rec-{tag}", "title": "Tagged", "date": "2024-01-05", "team": "payments", "tags": [tag]}
        refused = _import(api_as(teammate), record, unknown_tags="refuse").json()["refused"]
        return refused[0]["message"].replace(tag, "TAG")

    assert refusal(SECRET_TAG) == refusal("never-used") == "unknown tag 'TAG' (map it, skip or create unknown tags)"
