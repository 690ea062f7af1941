import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Postmortem, PostmortemComment

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
EMPTY_FACTORS = {"factors-TOTAL_FORMS": "0", "factors-INITIAL_FORMS": "0"}


def _editor_data(version, **sections):
    return {"version": version, **EMPTY_FACTORS, **sections}


def _edit(pk):
    return reverse("incidents:postmortem-edit", args=[pk])


# --- who reads what --------------------------------------------------------------------------


@pytest.mark.parametrize("persona,status", [("owner", 200), ("teammate", 200), ("leader", 200), ("outsider", 404)])
def test_drafts_are_private_to_team_reviewers_and_leadership(request, client_as, postmortem, persona, status):
    client = client_as(request.getfixturevalue(persona))
    assert client.get(postmortem.get_absolute_url()).status_code == status
    listed = "Checkout errors after deploy" in client.get(reverse("incidents:postmortem-list")).content.decode()
    assert listed is (status == 200)


def test_named_reviewer_reads_the_draft(client_as, postmortem, owner, outsider):
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[outsider])
    assert client_as(outsider).get(postmortem.get_absolute_url()).status_code == 200
    assert client_as(outsider).get(reverse("incidents:postmortem-history", args=[postmortem.pk])).status_code == 200


def test_published_postmortems_are_read_org_wide_but_not_edited(client_as, published, outsider):
    client = client_as(outsider)
    body = client.get(published.get_absolute_url()).content.decode()
    assert "Summary." in body and f'href="{_edit(published.pk)}"' not in body
    assert client.get(_edit(published.pk)).status_code == 403
    assert client.post(_edit(published.pk), _editor_data(published.version, summary="Mine")).status_code == 403
    assert Postmortem.objects.get(pk=published.pk).summary == "Summary."


def test_restricted_postmortem_is_hidden_even_when_published(client_as, restricted_incident, admin_user, named, leader):
    from incidents.models import Incident

    incident = Incident.objects.get(pk=restricted_incident.pk)
    postmortem = services.postmortem_start(incident=incident, actor=admin_user)
    services.postmortem_save(postmortem=postmortem, actor=admin_user, data={"summary": "S"}, expected_version=1)
    services.postmortem_submit(postmortem=postmortem, actor=admin_user, reviewers=[named])
    services.postmortem_approve(postmortem=postmortem, actor=named)
    services.postmortem_publish(postmortem=postmortem, actor=admin_user, confirm=True)
    assert client_as(leader).get(postmortem.get_absolute_url()).status_code == 404
    assert "Suspicious logins" not in client_as(leader).get(reverse("incidents:postmortem-list")).content.decode()
    assert client_as(named).get(postmortem.get_absolute_url()).status_code == 200


# --- editing ---------------------------------------------------------------------------------


def test_editor_shows_guidance_and_saves_sections_and_factors(client_as, teammate, postmortem):
    client = client_as(teammate)
    body = client.get(_edit(postmortem.pk)).content.decode()
    assert "Write about systems, not people." in body and "rarely one root cause" in body
    data = _editor_data(
        1,
        summary="The cache tier failed over slowly.",
        **{
            "factors-TOTAL_FORMS": "2",
            "factors-INITIAL_FORMS": "0",
            "factors-0-category": "capacity",
            "factors-0-description": "Cache sized for last year's peak.",
            "factors-1-category": "",
            "factors-1-description": "",
        },
    )
    response = client.post(_edit(postmortem.pk), data)
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == "The cache tier failed over slowly." and postmortem.version == 2
    assert postmortem.factors == [{"category": "capacity", "description": "Cache sized for last year's peak."}]
    assert postmortem.revisions.get(version=2).author == teammate


def test_factor_without_description_is_a_form_error(client_as, teammate, postmortem):
    data = _editor_data(1, **{"factors-TOTAL_FORMS": "1", "factors-0-category": "change"})
    body = client_as(teammate).post(_edit(postmortem.pk), data).content.decode()
    assert "Describe the factor." in body
    assert Postmortem.objects.get(pk=postmortem.pk).version == 1


def test_stale_save_shows_both_versions_and_overwrites_nothing(client_as, owner, teammate, postmortem):
    client_as(owner).post(_edit(postmortem.pk), _editor_data(1, summary="Alice wrote this."))
    response = client_as(teammate).post(_edit(postmortem.pk), _editor_data(1, summary="Bob wrote that."))
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone saved version 2 while you were editing" in body
    assert "Alice wrote this." in body and "Bob wrote that." in body, "both versions are on the page"
    assert 'name="version" id="pm-version" value="2"' in body, "the next save is against the current version"
    assert "postmortem-autosave" not in body and "/autosave/" not in body, "no autosave until the user merges"
    assert Postmortem.objects.get(pk=postmortem.pk).summary == "Alice wrote this."
    merged = _editor_data(2, summary="Alice wrote this. Bob wrote that.")
    assert client_as(teammate).post(_edit(postmortem.pk), merged).status_code == 302
    assert Postmortem.objects.get(pk=postmortem.pk).summary == "Alice wrote this. Bob wrote that."


def test_autosave_saves_drafts_and_moves_the_version(client_as, teammate, postmortem):
    url = reverse("incidents:postmortem-autosave", args=[postmortem.pk])
    body = client_as(teammate).post(url, _editor_data(1, impact="Half of logins failed."), **HX).content.decode()
    assert "Saved version 2" in body
    assert 'data-version="2"' in body, "the editor carries the stored version into its next save"
    postmortem.refresh_from_db()
    assert postmortem.impact == "Half of logins failed." and postmortem.revisions.get(version=2).note == "autosave"


def test_stale_autosave_saves_nothing_and_says_so(client_as, owner, teammate, postmortem):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"impact": "A"}, expected_version=1)
    url = reverse("incidents:postmortem-autosave", args=[postmortem.pk])
    body = client_as(teammate).post(url, _editor_data(1, impact="B"), **HX).content.decode()
    assert "Not autosaved: version 2 was saved by someone else" in body
    assert "hx-trigger" not in body, "autosave stops until the user merges"
    assert Postmortem.objects.get(pk=postmortem.pk).impact == "A"


def test_outsider_cannot_autosave(client_as, outsider, published):
    url = reverse("incidents:postmortem-autosave", args=[published.pk])
    assert client_as(outsider).post(url, _editor_data(published.version, impact="x"), **HX).status_code == 403


def test_preview_renders_markdown(client_as, outsider):
    response = client_as(outsider).post(
        reverse("incidents:markdown-preview"), {"_field": "impact", "impact": "**big**"}
    )
    assert "<strong>big</strong>" in response.content.decode()


# --- workflow --------------------------------------------------------------------------------


def test_submit_needs_reviewers(client_as, teammate, postmortem):
    response = client_as(teammate).post(reverse("incidents:postmortem-submit", args=[postmortem.pk]), {})
    body = response.content.decode()
    assert response.status_code == 400 and "Pick at least one reviewer." in body, "a form error, not only a tooltip"
    assert 'id="reviewers-errors"' in body and "novalidate" in body
    assert Postmortem.objects.get(pk=postmortem.pk).status == Postmortem.Status.DRAFT


def test_member_submits_lead_publishes(client_as, teammate, owner, leader, postmortem):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "S"}, expected_version=1)
    url = reverse("incidents:postmortem-submit", args=[postmortem.pk])
    assert client_as(teammate).post(url, {"reviewers": [leader.pk]}).status_code == 303
    assert Postmortem.objects.get(pk=postmortem.pk).status == Postmortem.Status.IN_REVIEW
    publish = reverse("incidents:postmortem-publish", args=[postmortem.pk])
    assert client_as(teammate).post(publish).status_code == 403, "members do not publish"
    assert client_as(leader).post(publish).status_code == 403, "reviewers do not publish"
    approve = reverse("incidents:postmortem-approve", args=[postmortem.pk])
    assert client_as(leader).post(approve, {"version": 2}).status_code == 303
    assert client_as(owner).post(publish, {"confirm": "1"}).status_code == 303
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.PUBLISHED and postmortem.published_at


def test_publishing_without_a_summary_reports_why(client_as, owner, leader, postmortem):
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader])
    client = client_as(owner)
    client.post(reverse("incidents:postmortem-publish", args=[postmortem.pk]))
    body = client.get(postmortem.get_absolute_url()).content.decode()
    assert "Write a summary before publishing." in body
    assert Postmortem.objects.get(pk=postmortem.pk).status == Postmortem.Status.IN_REVIEW


def test_return_to_draft(client_as, teammate, owner, leader, postmortem):
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader])
    client_as(teammate).post(reverse("incidents:postmortem-return", args=[postmortem.pk]))
    assert Postmortem.objects.get(pk=postmortem.pk).status == Postmortem.Status.DRAFT


def test_outsider_cannot_move_the_workflow(client_as, outsider, owner, postmortem):
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[outsider])
    assert client_as(outsider).post(reverse("incidents:postmortem-return", args=[postmortem.pk])).status_code == 403
    assert client_as(outsider).post(reverse("incidents:postmortem-publish", args=[postmortem.pk])).status_code == 403


# --- comments --------------------------------------------------------------------------------


def test_reviewer_comments_over_htmx(client_as, owner, outsider, postmortem):
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[outsider])
    url = reverse("incidents:comment-add", args=[postmortem.pk])
    body = client_as(outsider).post(url, {"section": "detection", "body": "Which alert fired?"}, **HX).content
    assert body.decode().lstrip().startswith('<section id="comments">')
    comment = PostmortemComment.objects.get()
    assert comment.author == outsider and comment.section == "detection" and b"Which alert fired?" in body


def test_outsider_cannot_comment_on_a_draft(client_as, outsider, postmortem):
    url = reverse("incidents:comment-add", args=[postmortem.pk])
    assert client_as(outsider).post(url, {"body": "hi"}).status_code == 404
    assert not PostmortemComment.objects.exists()


# --- history and restore ---------------------------------------------------------------------


def test_history_shows_diffs_escaped(client_as, owner, postmortem):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "old line"}, expected_version=1)
    services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": "new <b>line</b>"}, expected_version=2
    )
    body = client_as(owner).get(reverse("incidents:postmortem-history", args=[postmortem.pk])).content.decode()
    assert '<span class="diff-del">-old line</span>' in body
    assert '<span class="diff-add">+new &lt;b&gt;line&lt;/b&gt;</span>' in body
    assert "Version 3" in body and "Version 1" in body


def test_restore_from_history(client_as, owner, teammate, postmortem):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "first"}, expected_version=1)
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "second"}, expected_version=2)
    url = reverse("incidents:postmortem-restore", args=[postmortem.pk, 2])
    assert client_as(teammate).post(url, {"version": 3}).status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == "first" and postmortem.version == 4


def test_restore_against_a_stale_page_changes_nothing(client_as, owner, teammate, postmortem):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "first"}, expected_version=1)
    url = reverse("incidents:postmortem-restore", args=[postmortem.pk, 1])
    response = client_as(teammate).post(url, {"version": 1}, follow=True)
    assert "Someone saved a newer version" in response.content.decode()
    assert Postmortem.objects.get(pk=postmortem.pk).summary == "first"


def test_outsider_cannot_restore(client_as, outsider, published):
    url = reverse("incidents:postmortem-restore", args=[published.pk, 1])
    assert client_as(outsider).post(url, {"version": published.version}).status_code == 403
    assert Postmortem.objects.get(pk=published.pk).version == published.version


def test_the_organization_edits_the_template_guidance(client_as, teammate, postmortem):
    from incidents.models import OrgSettings

    settings_row = OrgSettings.current()
    settings_row.postmortem_template = {"lucky": "Name each near miss and the luck that saved us."}
    settings_row.full_clean()
    settings_row.save()
    body = client_as(teammate).get(_edit(postmortem.pk)).content.decode()
    assert "Name each near miss and the luck that saved us." in body
    assert "Two or three sentences a newcomer can follow" in body, "unedited sections keep the default guidance"


def test_template_with_unknown_sections_is_refused():
    from django.core.exceptions import ValidationError

    from incidents.models import OrgSettings

    with pytest.raises(ValidationError):
        OrgSettings(postmortem_template={"root_cause": "Who broke it?"}).full_clean()


def test_pull_timeline_fills_the_editor_with_the_incidents_current_timeline(client_as, team, teammate, outsider):
    from incidents import services as incident_services
    from tests.factories import IncidentFactory

    incident = IncidentFactory(team=team)
    postmortem = incident_services.postmortem_start(incident=incident, actor=teammate)
    incident_services.timeline_entry_add(incident=incident, actor=teammate, kind="note", body="Rolled back at last.")
    url = f"/postmortems/{postmortem.pk}/timeline-source/"
    body = client_as(teammate).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert body.startswith('<textarea name="timeline" id="id_timeline"')
    assert "Rolled back at last." in body
    postmortem.refresh_from_db()
    assert "Rolled back at last." not in postmortem.timeline, "nothing is saved until the author saves"
    assert client_as(outsider).get(url).status_code == 404, "a draft is not visible outside the team"
