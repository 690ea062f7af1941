from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Postmortem, TimelineEntry

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def _form(team, sev, **extra):
    started = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    return {"title": "Card payments failing", "severity": sev[2].pk, "status": "investigating", "team": team.pk,
            "started_at": started, **extra}  # fmt: skip


# --- list and detail -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "leader"])
def test_everyone_reads_unrestricted_incidents(request, client_as, incident, persona):
    client = client_as(request.getfixturevalue(persona))
    assert incident.title in client.get(reverse("incidents:incident-list")).content.decode()
    assert client.get(incident.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("persona", ["owner", "outsider", "leader"])
def test_restricted_incident_is_invisible_to_everyone_not_named(request, client_as, restricted_incident, persona):
    client = client_as(request.getfixturevalue(persona))
    assert "Suspicious logins" not in client.get(reverse("incidents:incident-list")).content.decode()
    assert client.get(restricted_incident.get_absolute_url()).status_code == 404
    assert client.get(reverse("incidents:incident-edit", args=[restricted_incident.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["named", "admin_user"])
def test_restricted_incident_is_visible_to_named_people_and_admins(request, client_as, restricted_incident, persona):
    client = client_as(request.getfixturevalue(persona))
    assert "Suspicious logins" in client.get(reverse("incidents:incident-list")).content.decode()
    body = client.get(restricted_incident.get_absolute_url()).content.decode()
    assert "only the people on the access list" in body


def test_list_filters_by_severity_status_service_tag_and_text(client_as, owner, incident, team, sev):
    from incidents import services

    services.incident_create(actor=owner, team=team, title="Payout batch late", severity=sev[1], tags=["bank"])
    client = client_as(owner)
    url = reverse("incidents:incident-list")

    def titles(**params):
        body = client.get(url, params).content.decode()
        return {t for t in ("Checkout errors after deploy", "Payout batch late") if t in body}

    assert titles(severity="SEV1") == {"Payout batch late"}
    assert titles(service="checkout-api") == {"Checkout errors after deploy"}
    assert titles(tag="bank") == {"Payout batch late"}
    assert titles(q="payout") == {"Payout batch late"}
    assert titles(status="investigating") == {"Checkout errors after deploy", "Payout batch late"}
    assert titles(started_after=(timezone.now() + timedelta(days=1)).date().isoformat()) == set()


def test_list_sorts_by_severity(client_as, owner, incident, team, sev):
    from incidents import services

    services.incident_create(actor=owner, team=team, title="Worst one", severity=sev[1])
    body = client_as(owner).get(reverse("incidents:incident-list"), {"sort": "severity"}).content.decode()
    assert body.index("Worst one") < body.index("Checkout errors after deploy")
    body = client_as(owner).get(reverse("incidents:incident-list"), {"sort": "-severity"}).content.decode()
    assert body.index("Worst one") > body.index("Checkout errors after deploy")


def test_htmx_filter_returns_only_the_results_fragment(client_as, owner, incident):
    body = client_as(owner).get(reverse("incidents:incident-list"), **HX).content.decode()
    assert body.lstrip().startswith('<div id="results">') and "<html" not in body


# --- create and edit -------------------------------------------------------------------------


def test_member_declares_an_incident_for_own_team(client_as, teammate, team, sev, service):
    data = _form(team, sev, services=[service.pk], tags="db, latency")
    response = client_as(teammate).post(reverse("incidents:incident-create"), data)
    incident = Incident.objects.get(title="Card payments failing")
    assert response.status_code == 303 and response["Location"] == incident.get_absolute_url()
    assert incident.created_by == teammate and list(incident.services.all()) == [service]
    assert sorted(incident.tags.values_list("name", flat=True)) == ["db", "latency"]
    assert incident.timeline.filter(kind=TimelineEntry.Kind.STATUS_CHANGE).exists()


def test_member_cannot_declare_for_another_team(client_as, teammate, other_team, sev):
    response = client_as(teammate).post(reverse("incidents:incident-create"), _form(other_team, sev))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Incident.objects.exists()


def test_people_without_a_team_cannot_declare(client_as, leader):
    assert client_as(leader).get(reverse("incidents:incident-create")).status_code == 403


def test_inconsistent_times_are_field_errors_and_nothing_is_saved(client_as, teammate, team, sev):
    started = timezone.now() - timedelta(hours=2)
    data = _form(
        team,
        sev,
        detected_at=(started - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        resolved_at=(started - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    )
    response = client_as(teammate).post(reverse("incidents:incident-create"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="detected_at-errors"' in body and body.count("Must not be earlier than the start") == 2
    assert not Incident.objects.exists()


def test_inline_validation_returns_one_fields_errors(client_as, teammate, team, sev):
    data = _form(team, sev, title="", _validate="title")
    response = client_as(teammate).post(reverse("incidents:incident-create"), data, **HX)
    assert "This field is required." in response.content.decode()
    assert not Incident.objects.exists()


def test_teammate_edits_and_status_change_is_logged(client_as, teammate, incident, team, sev):
    url = reverse("incidents:incident-edit", args=[incident.pk])
    started = incident.started_at.strftime("%Y-%m-%dT%H:%M")
    data = _form(team, sev, status="monitoring", started_at=started, version=incident.version)
    response = client_as(teammate).post(url, data)
    assert response.status_code == 303
    incident.refresh_from_db()
    assert incident.status == "monitoring" and incident.title == "Card payments failing"
    assert incident.timeline.filter(body="Status changed from Investigating to Monitoring.", author=teammate).exists()


@pytest.mark.parametrize("persona", ["outsider", "leader"])
def test_outsiders_and_leadership_cannot_edit(request, client_as, persona, incident, team, sev):
    client = client_as(request.getfixturevalue(persona))
    url = reverse("incidents:incident-edit", args=[incident.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _form(team, sev)).status_code == 403
    assert Incident.objects.get(pk=incident.pk).title == "Checkout errors after deploy"


# --- timeline over htmx ----------------------------------------------------------------------


def test_timeline_entry_is_added_over_htmx(client_as, teammate, incident):
    url = reverse("incidents:timeline-add", args=[incident.pk])
    response = client_as(teammate).post(url, {"kind": "decision", "body": "Fail over to the standby region."}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="timeline">') and "<html" not in body
    assert "Fail over to the standby region." in body
    assert incident.timeline.filter(kind="decision", author=teammate).exists()


def test_timeline_entry_needs_a_body(client_as, teammate, incident):
    url = reverse("incidents:timeline-add", args=[incident.pk])
    before = incident.timeline.count()
    body = client_as(teammate).post(url, {"kind": "note", "body": ""}, **HX).content.decode()
    assert "This field is required." in body
    assert incident.timeline.count() == before


def test_outsider_cannot_add_to_the_timeline(client_as, outsider, incident, restricted_incident):
    assert (
        client_as(outsider).post(reverse("incidents:timeline-add", args=[incident.pk]), {"body": "x"}).status_code
        == 403
    )
    url = reverse("incidents:timeline-add", args=[restricted_incident.pk])
    assert client_as(outsider).post(url, {"body": "x"}).status_code == 404


# --- starting a postmortem -------------------------------------------------------------------


def test_teammate_starts_a_postmortem(client_as, teammate, incident):
    response = client_as(teammate).post(reverse("incidents:postmortem-start", args=[incident.pk]))
    postmortem = Postmortem.objects.get(incident=incident)
    assert response["Location"] == reverse("incidents:postmortem-edit", args=[postmortem.pk])
    assert postmortem.owner == teammate


def test_outsider_cannot_start_a_postmortem(client_as, outsider, incident):
    assert client_as(outsider).post(reverse("incidents:postmortem-start", args=[incident.pk])).status_code == 403
    assert not Postmortem.objects.exists()


# --- panels ----------------------------------------------------------------------------------


def test_home_panels_list_open_incidents_and_my_action_items(client_as, teammate, incident, action_item):
    action_item.owner = teammate
    action_item.save()
    body = client_as(teammate).get(reverse("home")).content.decode()
    assert "Open incidents" in body and "Checkout errors after deploy" in body
    assert "Your open action items" in body and "Add a canary stage" in body


def test_home_panel_hides_restricted_incidents(client_as, outsider, named, restricted_incident):
    assert "Suspicious logins" not in client_as(outsider).get(reverse("home")).content.decode()
    assert "Suspicious logins" in client_as(named).get(reverse("home")).content.decode()


def test_service_page_lists_its_recent_incidents(client_as, outsider, incident, service):
    body = client_as(outsider).get(service.get_absolute_url()).content.decode()
    assert "Recent incidents" in body and "Checkout errors after deploy" in body


@pytest.mark.parametrize(
    "name,args",
    [
        ("incidents:incident-list", []),
        ("incidents:incident-create", []),
        ("incidents:postmortem-list", []),
        ("incidents:action-item-list", []),
        ("incidents:action-item-mine", []),
        ("incidents:incident-detail", ["incident"]),
        ("incidents:postmortem-detail", ["postmortem"]),
        ("incidents:postmortem-history", ["postmortem"]),
    ],
)
def test_nothing_is_readable_anonymously(request, client, name, args):
    url = reverse(name, args=[request.getfixturevalue(a).pk for a in args])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(reverse("incidents:markdown-preview"), {"text": "x"}).status_code == 302


# --- one-click status and severity --------------------------------------------------------------


def _state_url(incident):
    return reverse("incidents:incident-state", args=[incident.pk])


def test_the_page_offers_one_click_status_and_severity_to_those_who_may_change(client_as, teammate, outsider, incident):
    body = client_as(teammate).get(incident.get_absolute_url()).content.decode()
    assert f'hx-post="{_state_url(incident)}"' in body
    assert 'name="status" value="monitoring"' in body and 'name="severity" value="1"' in body
    assert f'name="version" value="{incident.version}"' in body
    assert 'name="status"' not in client_as(outsider).get(incident.get_absolute_url()).content.decode()


def test_one_click_status_change_is_logged_and_answers_with_fragments(client_as, teammate, incident):
    response = client_as(teammate).post(_state_url(incident), {"status": "monitoring", "version": 1}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="incident-state">')
    assert '<section id="timeline" hx-swap-oob="true">' in body and 'id="incident-facts" hx-swap-oob="true"' in body
    assert "Status changed from Investigating to Monitoring." in body
    assert 'name="version" value="2"' in body
    incident.refresh_from_db()
    assert incident.status == "monitoring" and incident.version == 2
    assert incident.timeline.filter(kind="status_change", author=teammate, body__contains="to Monitoring").exists()


def test_one_click_severity_change_is_logged(client_as, teammate, incident):
    client_as(teammate).post(_state_url(incident), {"severity": 2, "version": 1}, **HX)
    incident.refresh_from_db()
    assert incident.severity.name == "SEV2"
    assert incident.timeline.filter(kind="severity_change", body="Severity changed from SEV3 to SEV2.").exists()


def test_resolving_in_one_click_announces_the_postmortem_draft_with_a_link(client_as, teammate, sev2_incident):
    incident = sev2_incident
    body = client_as(teammate).post(_state_url(incident), {"status": "resolved", "version": 1}, **HX).content.decode()
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.required and postmortem.due_date
    assert f"Postmortem draft created, due <strong>{postmortem.due_date:%Y-%m-%d}</strong>" in body
    assert f'<a href="{postmortem.get_absolute_url()}">Open the draft</a>' in body
    assert f"Postmortem draft created, due {postmortem.due_date:%Y-%m-%d}." in body  # the timeline entry
    page = client_as(teammate).get(incident.get_absolute_url()).content.decode()
    assert "Postmortem draft created" in page and "Resolved" in page


def test_a_stale_one_click_changes_nothing_and_says_what_the_incident_is_now(client_as, owner, teammate, incident):
    client_as(owner).post(_state_url(incident), {"status": "identified", "version": 1}, **HX)
    body = client_as(teammate).post(_state_url(incident), {"status": "monitoring", "version": 1}, **HX).content.decode()
    assert "Not changed: someone else changed this incident" in body and "it is now Identified, SEV3" in body
    assert 'name="version" value="2"' in body, "the refreshed controls apply the next click"
    incident.refresh_from_db()
    assert incident.status == "identified" and incident.version == 2
    client_as(teammate).post(_state_url(incident), {"status": "monitoring", "version": 2}, **HX)
    incident.refresh_from_db()
    assert incident.status == "monitoring"


def test_one_click_without_javascript_redirects_back(client_as, teammate, incident):
    response = client_as(teammate).post(_state_url(incident), {"status": "monitoring", "version": 1})
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    incident.refresh_from_db()
    assert incident.status == "monitoring"


@pytest.mark.parametrize("data", [{"version": 1}, {"status": "nope", "version": 1}, {"status": "closed"},
                                  {"status": "closed", "severity": 1, "version": 1}])  # fmt: skip
def test_bad_one_click_input_changes_nothing(client_as, teammate, incident, data):
    response = client_as(teammate).post(_state_url(incident), data, **HX)
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == "investigating" and incident.version == 1


def test_one_click_is_refused_to_people_who_may_not_change(client_as, outsider, leader, incident, restricted_incident):
    assert client_as(outsider).post(_state_url(incident), {"status": "closed", "version": 1}, **HX).status_code == 403
    assert client_as(leader).post(_state_url(incident), {"status": "closed", "version": 1}, **HX).status_code == 403
    url = _state_url(restricted_incident)
    assert client_as(outsider).post(url, {"status": "closed", "version": 1}, **HX).status_code == 404
    incident.refresh_from_db()
    assert incident.status == "investigating"


# --- two people editing: the version is checked on every save ---------------------------------


def _edit_data(client, incident):
    """What the edit form posts, as loaded now (its fields' initial values, the hidden version included)."""
    form = client.get(reverse("incidents:incident-edit", args=[incident.pk])).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if hasattr(field.widget, "format_value") and name.endswith("_at"):
            value = field.widget.format_value(value)
        data[name] = [v.pk if hasattr(v, "pk") else v for v in value] if isinstance(value, list) else value
    return data


def test_the_edit_form_carries_the_version(client_as, teammate, incident):
    assert _edit_data(client_as(teammate), incident)["version"] == 1


def test_two_writers_in_the_browser_get_a_side_by_side_view_that_loses_nothing(client_as, owner, teammate, incident):
    alice, bob = client_as(owner), client_as(teammate)
    url = reverse("incidents:incident-edit", args=[incident.pk])
    alice_form, bob_form = _edit_data(alice, incident), _edit_data(bob, incident)
    assert alice.post(url, {**alice_form, "status": "identified", "summary": "DNS"}).status_code == 303

    response = bob.post(url, {**bob_form, "summary": "Bad deploy", "impact_description": "Checkout 500s"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone saved version 2 while you were editing" in body
    conflict = response.context["conflict"]
    rows = {row["name"]: (row["theirs"], row["mine"]) for row in conflict["rows"]}
    assert rows == {
        "status": ("Identified", "Investigating"),
        "summary": ("DNS", "Bad deploy"),
        "impact_description": ("", "Checkout 500s"),
    }
    form = response.context["form"]
    assert form["summary"].value() == "Bad deploy" and form["impact_description"].value() == "Checkout 500s"
    assert form["version"].value() == "2", "the next save wins, on purpose"
    incident.refresh_from_db()
    assert (incident.summary, incident.status, incident.version) == ("DNS", "identified", 2)

    again = {**bob_form, "summary": "Bad deploy", "impact_description": "Checkout 500s", "status": "identified"}
    assert bob.post(url, {**again, "version": 2}).status_code == 303
    incident.refresh_from_db()
    assert (incident.summary, incident.status, incident.impact_description) == (
        "Bad deploy",
        "identified",
        "Checkout 500s",
    )


def test_the_conflict_view_over_htmx_is_the_form_fragment_with_status_200(client_as, owner, teammate, incident):
    alice, bob = client_as(owner), client_as(teammate)
    url = reverse("incidents:incident-edit", args=[incident.pk])
    bob_form = _edit_data(bob, incident)
    alice.post(url, {**_edit_data(alice, incident), "title": "Alice's title"})
    response = bob.post(url, {**bob_form, "title": "Bob's title"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("<form") and "<html" not in body
    assert 'class="conflict"' in body and "Alice&#x27;s title" in body and 'value="Bob&#x27;s title"' in body


def test_a_save_without_a_version_is_a_conflict_never_a_blind_overwrite(client_as, teammate, incident):
    url = reverse("incidents:incident-edit", args=[incident.pk])
    data = {k: v for k, v in _edit_data(client_as(teammate), incident).items() if k != "version"}
    response = client_as(teammate).post(url, {**data, "title": "Blind"})
    assert response.status_code == 409 and response.context["form"]["version"].value() == "1"
    assert Incident.objects.get(pk=incident.pk).title == "Checkout errors after deploy"


def test_an_unchanged_save_from_an_old_page_is_no_conflict(client_as, owner, teammate, incident):
    alice, bob = client_as(owner), client_as(teammate)
    url = reverse("incidents:incident-edit", args=[incident.pk])
    bob_form = _edit_data(bob, incident)
    alice.post(url, {**_edit_data(alice, incident), "title": "Renamed"})
    response = bob.post(url, {**bob_form, "title": "Renamed"})
    assert response.status_code == 303, "what Bob sends is what is stored: nothing to merge"


# --- durations never lie -------------------------------------------------------------------------


def test_unknown_times_say_unknown_not_dashes(client_as, teammate, incident):
    body = client_as(teammate).get(incident.get_absolute_url()).content.decode()
    assert '— <small class="muted">—' not in body
    assert body.count('<span class="unknown">unknown</span>') == 4  # detected, acknowledged, mitigated, resolved
    listing = client_as(teammate).get(reverse("incidents:incident-list")).content.decode()
    assert "ongoing" in listing


def test_date_only_times_show_the_date_and_no_duration(client_as, teammate, team, sev):
    from incidents import services

    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=30)
    incident = services.incident_create(
        actor=teammate, team=team, title="Imported outage", severity=sev[3], status="closed", started_at=day,
        resolved_at=day, date_only_times=["started_at", "resolved_at"],
    )  # fmt: skip
    body = client_as(teammate).get(incident.get_absolute_url()).content.decode()
    assert f'<time datetime="{day:%Y-%m-%d}" title="Time of day unknown">{day:%Y-%m-%d}</time>' in body
    assert f"{day:%Y-%m-%d} 00:00" not in body and ">0s<" not in body and "(time of day unknown)" in body
    listing = client_as(teammate).get(reverse("incidents:incident-list")).content.decode()
    row = listing[listing.index("Imported outage") :]
    assert "<td>unknown</td>" in row[: row.index("</tr>")] and "0s" not in row[: row.index("</tr>")]
