"""Size limits on Markdown texts (docs/limits.md), on each path: service, page form, autosave, API, preview."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents import services
from incidents.models import ActionItem, Incident, Postmortem, PostmortemComment, TimelineEntry

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
EMPTY_FACTORS = {"factors-TOTAL_FORMS": "0", "factors-INITIAL_FORMS": "0"}


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LIMIT_SECTION_CHARS = 100
    settings.LIMIT_POSTMORTEM_CHARS = 250
    settings.LIMIT_PREVIEW_CHARS = 120


TOO_LONG = "This text is 101 characters long; the limit is 100."


# --- per section ---------------------------------------------------------------------------------


def test_service_refuses_a_section_over_the_limit_and_keeps_the_version(postmortem, owner):
    with pytest.raises(ValidationError) as caught:
        services.postmortem_save(postmortem=postmortem, actor=owner, data={"lessons": "x" * 101}, expected_version=1)
    assert caught.value.message_dict == {"lessons": [TOO_LONG]}
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"lessons": "x" * 100}, expected_version=1)
    assert Postmortem.objects.get(pk=postmortem.pk).version == 2


def test_page_form_shows_the_limit_and_saves_nothing(client_as, teammate, postmortem):
    url = reverse("incidents:postmortem-edit", args=[postmortem.pk])
    response = client_as(teammate).post(url, {"version": 1, **EMPTY_FACTORS, "impact": "y" * 101})
    assert response.status_code == 200
    assert TOO_LONG in response.content.decode()
    assert Postmortem.objects.get(pk=postmortem.pk).version == 1


def test_autosave_says_why_it_did_not_save(client_as, teammate, postmortem):
    url = reverse("incidents:postmortem-autosave", args=[postmortem.pk])
    body = client_as(teammate).post(url, {"version": 1, **EMPTY_FACTORS, "impact": "y" * 101}, **HX).content.decode()
    assert "Not autosaved" in body and TOO_LONG in body
    assert Postmortem.objects.get(pk=postmortem.pk).version == 1


def test_api_answers_400_with_the_field(api_as, teammate, postmortem):
    response = api_as(teammate).patch(
        f"/api/v1/postmortems/{postmortem.pk}/", {"detection": "z" * 101}, HTTP_IF_MATCH='W/"1"'
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"detection": [TOO_LONG]}
    assert Postmortem.objects.get(pk=postmortem.pk).detection == ""


# --- per postmortem ------------------------------------------------------------------------------


def test_all_sections_together_are_limited(api_as, teammate, postmortem):
    body = {"summary": "a" * 100, "impact": "b" * 100, "timeline": "", "detection": "c" * 60}
    response = api_as(teammate).patch(f"/api/v1/postmortems/{postmortem.pk}/", body, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 400
    message = "The postmortem is 260 characters long in all; the limit is 250. Shorten some sections."
    assert response.json()["error"]["fields"] == {"non_field_errors": [message]}
    assert Postmortem.objects.get(pk=postmortem.pk).version == 1


def test_factor_descriptions_count_towards_the_postmortem(postmortem, owner):
    factors = [{"category": "change", "description": "d" * 90}] * 2
    with pytest.raises(ValidationError, match="the limit is 250"):
        services.postmortem_save(
            postmortem=postmortem,
            actor=owner,
            data={"summary": "s" * 80, "timeline": "", "factors": factors},
            expected_version=1,
        )


def test_page_form_shows_the_postmortem_limit(client_as, teammate, postmortem):
    url = reverse("incidents:postmortem-edit", args=[postmortem.pk])
    data = {
        "version": 1,
        **EMPTY_FACTORS,
        "summary": "a" * 100,
        "impact": "b" * 100,
        "lucky": "c" * 100,
        "timeline": "",
    }
    body = client_as(teammate).post(url, data).content.decode()
    assert "300 characters long in all; the limit is 250" in body


# --- the other Markdown texts --------------------------------------------------------------------


def test_incident_summary_and_impact_are_limited_in_the_api(api_as, teammate, incident):
    url = f"/api/v1/incidents/{incident.pk}/"
    response = api_as(teammate).patch(url, {"summary": "s" * 101, "impact_description": "i" * 101}, HTTP_IF_MATCH="*")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"summary": [TOO_LONG], "impact_description": [TOO_LONG]}
    assert Incident.objects.get(pk=incident.pk).summary == ""


def test_incident_form_shows_the_limit(client_as, teammate, incident):
    url = reverse("incidents:incident-edit", args=[incident.pk])
    page = client_as(teammate).get(url)
    assert page.status_code == 200
    data = {
        "title": incident.title,
        "severity": incident.severity_id,
        "status": incident.status,
        "team": incident.team_id,
        "started_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
        "summary": "s" * 101,
        "version": incident.version,
    }
    body = client_as(teammate).post(url, data).content.decode()
    assert TOO_LONG in body
    assert Incident.objects.get(pk=incident.pk).summary == ""


def test_action_item_description_and_comments_and_timeline_notes_are_limited(
    api_as, client_as, team, teammate, owner, incident, postmortem
):
    response = api_as(teammate).post(
        "/api/v1/action-items/", {"title": "Canary", "team": team.slug, "description": "d" * 101}
    )
    assert response.status_code == 400 and response.json()["error"]["fields"] == {"description": [TOO_LONG]}
    with pytest.raises(ValidationError):
        services.postmortem_comment_add(postmortem=postmortem, actor=owner, body="c" * 101)
    with pytest.raises(ValidationError):
        services.timeline_entry_add(incident=incident, actor=owner, body="t" * 101)
    url = reverse("incidents:comment-add", args=[postmortem.pk])
    client_as(owner).post(url, {"section": "", "body": "c" * 101})
    assert not ActionItem.objects.exists() and not PostmortemComment.objects.exists()
    assert not TimelineEntry.objects.filter(body__startswith="t" * 10).exists()


def test_a_long_timeline_is_cut_to_fit_its_section(settings, incident, owner):
    settings.LIMIT_SECTION_CHARS = 600
    settings.LIMIT_POSTMORTEM_CHARS = 5000
    for n in range(12):
        services.timeline_entry_add(incident=incident, actor=owner, body=f"step {n} " + "w" * 60)
    text = services.timeline_markdown(incident)
    assert len(text) <= 600
    assert text.splitlines()[-1].endswith("more entries are on the incident's page (too long to pull in).")
    postmortem = services.postmortem_start(incident=incident, actor=owner)
    assert postmortem.timeline == text, "resolving an incident with a long timeline still starts its postmortem"


# --- preview -------------------------------------------------------------------------------------


def test_preview_over_its_limit_is_413_for_htmx_and_pages(client_as, owner):
    url = reverse("incidents:markdown-preview")
    message = "The text to preview is 121 characters long; the limit is 120."
    hx = client_as(owner).post(url, {"_field": "summary", "summary": "p" * 121}, **HX)
    assert hx.status_code == 413 and hx.content.decode() == message
    assert hx["Content-Type"].startswith("text/plain")
    page = client_as(owner).post(url, {"_field": "summary", "summary": "p" * 121})
    assert page.status_code == 413 and message in page.content.decode()
    assert client_as(owner).post(url, {"_field": "summary", "summary": "p" * 120}, **HX).status_code == 200
