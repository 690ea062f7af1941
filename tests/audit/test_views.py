"""History on record pages (same visibility as the record), the admins' audit log and export, and the
Django admin that can no longer edit or delete timeline entries, postmortem revisions or audit rows."""

import csv
import io
import json

import pytest

from incidents import services as incident_services
from incidents.models import PostmortemRevision, TimelineEntry
from tests.factories import SystemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed_incident(team, owner, service, sev):
    incident = incident_services.incident_create(
        actor=owner, team=team, title="Checkout errors", severity=sev[3], services=[service]
    )
    incident_services.incident_update(
        incident=incident, actor=owner, data={"title": "Checkout errors after deploy"}, expected_version=None
    )
    return incident


def test_the_history_page_says_who_changed_what(client_as, teammate, owner, changed_incident):
    page = client_as(teammate).get(f"/history/incidents.incident/{changed_incident.pk}/").content.decode()
    assert "Incident changed" in page and "Timeline entry created" in page and "Affected service added" in page
    assert "Checkout errors</del>" in page and "Checkout errors after deploy</ins>" in page
    assert "Checkout API" in page  # the linked service is named, not numbered


def test_the_panel_is_a_fragment_with_the_latest_changes(client_as, teammate, changed_incident):
    response = client_as(teammate).get(f"/history/incidents.incident/{changed_incident.pk}/?panel=1")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'class="history-list"' in body


def test_record_pages_offer_the_history_panel(client_as, owner, team, changed_incident, service):
    for url in (changed_incident.get_absolute_url(), team.get_absolute_url(), service.get_absolute_url()):
        assert 'class="history-panel"' in client_as(owner).get(url).content.decode(), url


def test_outsiders_get_404_for_a_restricted_incidents_history(client_as, owner, outsider, team, sev):
    secret = incident_services.incident_create(actor=owner, team=team, title="Leak", severity=sev[2], restricted=True)
    url = f"/history/incidents.incident/{secret.pk}/"
    assert client_as(outsider).get(url).status_code == 404
    assert client_as(owner).get(url).status_code == 200
    assert client_as(outsider).get("/history/teams.apitoken/1/").status_code == 404  # no history page for tokens


def test_only_admins_read_and_export_the_whole_trail(client_as, owner, admin_user, changed_incident):
    assert client_as(owner).get("/audit/").status_code == 403
    assert client_as(owner).get("/audit/export.csv").status_code == 403
    assert f"Incident #{changed_incident.pk} changed" in client_as(admin_user).get("/audit/").content.decode()


def test_the_export_has_every_event_with_its_context(client_as, admin_user, owner, changed_incident):
    client = client_as(admin_user)
    lines = b"".join(client.get("/audit/export.jsonl").streaming_content).decode().splitlines()
    records = [json.loads(line) for line in lines]
    update = next(r for r in records if r["model"] == "incidents.Incident" and r["label"] == "update")
    assert update["diff"]["title"] == ["Checkout errors", "Checkout errors after deploy"]
    assert update["object_id"] == str(changed_incident.pk)
    rows = list(csv.DictReader(io.StringIO(b"".join(client.get("/audit/export.csv").streaming_content).decode())))
    assert len(rows) == len(records) and {r["label"] for r in rows} >= {"insert", "update", "add"}
    assert client.get("/audit/export.xml").status_code == 404
    assert client.get("/audit/export.csv?since=yesterday").status_code == 400
    assert len(b"".join(client.get("/audit/export.jsonl?since=2999-01-01").streaming_content)) == 0


def test_csv_cells_never_run_as_spreadsheet_formulas(client_as, admin_user, team):
    from audit import context as audit

    with audit.context(source="api", token="=HYPERLINK(1)"):
        SystemFactory(team=team)
    body = b"".join(client_as(admin_user).get("/audit/export.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert "'=HYPERLINK(1)" in {row["token"] for row in rows}
    assert not any(value.startswith("=") for row in rows for value in row.values() if value)


def test_a_change_by_an_admin_in_the_django_admin_is_recorded_too(client_as, admin_user, team):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    system = SystemFactory(team=team)
    data = {"name": "Renamed", "slug": system.slug, "team": team.pk, "tier": 2, "lifecycle": "design"}
    assert client_as(admin_user).post(f"/admin/teams/system/{system.pk}/change/", data).status_code == 302
    event = system.pgh_event_model.objects.filter(pgh_obj=system.pk, pgh_label="update").get()
    assert event.name == "Renamed" and event.pgh_context.metadata["username"] == admin_user.username


@pytest.mark.parametrize("model", [TimelineEntry, PostmortemRevision])
def test_the_admin_shows_timeline_entries_and_revisions_read_only(
    client_as, admin_user, postmortem_with_revision, model
):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = client_as(admin_user)
    row = model.objects.first()
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    page = client.get(f"{base}{row.pk}/change/").content.decode()
    assert client.get(f"{base}{row.pk}/change/").status_code == 200 and 'name="_save"' not in page
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{base}{row.pk}/change/", {}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_the_audit_admin_is_read_only(client_as, admin_user, changed_incident):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = client_as(admin_user)
    page = client.get("/admin/audit/auditevent/").content.decode()
    assert "incidents.Incident" in page and "update" in page and "Add audit event" not in page
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.get("/admin/audit/auditcontext/add/").status_code == 403


@pytest.fixture
def postmortem_with_revision(changed_incident, owner):
    incident_services.postmortem_start(incident=changed_incident, actor=owner)
    return changed_incident
