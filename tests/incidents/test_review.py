"""The postmortem review that means something: approvals, who may publish, confirmations, real reasons.

One rule (`services.postmortem_publish_check`) serves the service, the page and the API; these
tests go through all three.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from incidents import selectors, services
from incidents.models import ActionItem, OrgSettings, Postmortem, PostmortemApproval
from teams.permissions import TeamRole
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _settings(**values):
    org = OrgSettings.current()
    for name, value in values.items():
        setattr(org, name, value)
    org.full_clean()
    org.save()


@pytest.fixture
def in_review(postmortem, owner, leader):
    """alice's (owner, a team lead) postmortem with a summary, in review with erin (leadership)."""
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "S"}, expected_version=1)
    return services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader])


@pytest.fixture
def follow_up(in_review, team, owner):
    return services.action_item_create(
        actor=owner, team=team, title="Add an alert", origin=ActionItem.Origin.POSTMORTEM,
        incident=in_review.incident, source=in_review,
    )  # fmt: skip


@pytest.fixture
def other_lead(team):
    user = UserFactory(username="lena")
    MembershipFactory(user=user, team=team, role=TeamRole.LEAD)
    return user


def _codes(exc):
    return [error.code for error in exc.value.error_list]


# --- approvals -------------------------------------------------------------------------------


def test_by_default_publishing_needs_one_approval_from_a_named_reviewer(in_review, owner, leader, follow_up):
    with pytest.raises(ValidationError) as exc:
        services.postmortem_publish(postmortem=in_review, actor=owner)
    assert _codes(exc) == ["approvals_required"]
    assert "1 more approval from a named reviewer other than the author" in exc.value.messages[0]
    services.postmortem_approve(postmortem=in_review, actor=leader)
    published = services.postmortem_publish(postmortem=in_review, actor=owner)
    assert published.status == Postmortem.Status.PUBLISHED and published.publish_confirmed == []


def test_only_named_reviewers_approve_and_never_the_author(in_review, owner, teammate, outsider):
    for person, reason in ((teammate, "Only the named reviewers"), (owner, "You wrote this postmortem")):
        with pytest.raises(PermissionDenied, match=reason):
            services.postmortem_approve(postmortem=in_review, actor=person)
    with pytest.raises(PermissionDenied):
        services.postmortem_approve(postmortem=in_review, actor=outsider)  # cannot even read the draft
    assert not PostmortemApproval.objects.exists()


def test_the_author_cannot_be_named_reviewer(postmortem, owner, teammate):
    with pytest.raises(ValidationError) as exc:
        services.postmortem_submit(postmortem=postmortem, actor=teammate, reviewers=[owner, teammate])
    assert "does not review their own postmortem" in str(exc.value.message_dict["reviewers"])
    assert Postmortem.objects.get(pk=postmortem.pk).status == Postmortem.Status.DRAFT


def test_an_author_cannot_publish_alone_unless_the_settings_allow_it(in_review, owner, other_lead, follow_up):
    _settings(postmortem_approvals_required=0)
    with pytest.raises(ValidationError) as exc:
        services.postmortem_publish(postmortem=in_review, actor=owner)
    assert _codes(exc) == ["approvals_required"] and "You wrote this postmortem" in exc.value.messages[0]
    check = services.postmortem_publish_check(postmortem=in_review, actor=other_lead)
    assert check.ready, "another lead may publish it without approvals when none are required"
    _settings(postmortem_approvals_required=0, postmortem_author_may_publish_alone=True)
    assert services.postmortem_publish(postmortem=in_review, actor=owner).status == Postmortem.Status.PUBLISHED


def test_the_number_of_approvals_is_the_organizations_choice(in_review, owner, leader, teammate, follow_up):
    _settings(postmortem_approvals_required=2)
    services.postmortem_return_to_draft(postmortem=in_review, actor=owner)
    services.postmortem_submit(postmortem=in_review, actor=owner, reviewers=[leader, teammate])
    services.postmortem_approve(postmortem=in_review, actor=leader)
    with pytest.raises(ValidationError, match="1 more approval"):
        services.postmortem_publish(postmortem=in_review, actor=owner)
    services.postmortem_approve(postmortem=in_review, actor=teammate)
    assert services.postmortem_publish(postmortem=in_review, actor=owner).status == Postmortem.Status.PUBLISHED


def test_a_content_change_after_approval_needs_a_new_approval(in_review, owner, leader, follow_up):
    services.postmortem_approve(postmortem=in_review, actor=leader)
    services.postmortem_save(postmortem=in_review, actor=owner, data={"summary": "S"}, expected_version=2)
    assert services.postmortem_publish_check(postmortem=in_review, actor=owner).ready, "same text: still approved"
    services.postmortem_save(postmortem=in_review, actor=owner, data={"summary": "Changed"}, expected_version=2)
    in_review.refresh_from_db()
    check = services.postmortem_publish_check(postmortem=in_review, actor=owner)
    assert not check.ready and [a.version for a in check.outdated] == [2]
    assert "Approved an earlier version: " in check.reasons[0] and "(the text changed since)" in check.reasons[0]
    services.postmortem_approve(postmortem=in_review, actor=leader)
    assert services.postmortem_publish(postmortem=in_review, actor=owner).status == Postmortem.Status.PUBLISHED
    assert list(PostmortemApproval.objects.values_list("version", flat=True)) == [2, 3], "both kept as a record"


def test_approving_a_version_that_is_no_longer_current_is_refused(in_review, owner, leader):
    services.postmortem_save(postmortem=in_review, actor=owner, data={"summary": "New"}, expected_version=2)
    with pytest.raises(ValidationError) as exc:
        services.postmortem_approve(postmortem=in_review, actor=leader, version=2)
    assert _codes(exc) == ["stale_version"]
    assert "Version 3 was saved after the version 2 you read" in exc.value.messages[0]
    assert not PostmortemApproval.objects.exists()
    assert services.postmortem_approve(postmortem=in_review, actor=leader, version=3).version == 3


def test_approving_the_same_version_twice_is_one_approval(in_review, leader):
    first = services.postmortem_approve(postmortem=in_review, actor=leader)
    assert services.postmortem_approve(postmortem=in_review, actor=leader) == first
    assert PostmortemApproval.objects.count() == 1


def test_approvals_of_people_no_longer_named_do_not_count(in_review, owner, leader, teammate, follow_up):
    services.postmortem_approve(postmortem=in_review, actor=leader)
    services.postmortem_return_to_draft(postmortem=in_review, actor=owner)
    services.postmortem_submit(postmortem=in_review, actor=owner, reviewers=[teammate])
    assert not services.postmortem_publish_check(postmortem=in_review, actor=owner).ready


# --- confirmations ---------------------------------------------------------------------------


def test_unresolved_comments_and_no_action_item_ask_for_a_confirmation_that_is_recorded(in_review, owner, leader):
    services.postmortem_comment_add(postmortem=in_review, actor=leader, body="Which alert fired?")
    services.postmortem_approve(postmortem=in_review, actor=leader)
    with pytest.raises(ValidationError) as exc:
        services.postmortem_publish(postmortem=in_review, actor=owner)
    assert _codes(exc) == ["confirmation_required", "confirmation_required"]
    assert exc.value.messages == [
        "Confirm to publish anyway: 1 comment is not resolved.",
        "Confirm to publish anyway: No action item follows up on it.",
    ]
    assert Postmortem.objects.get(pk=in_review.pk).status == Postmortem.Status.IN_REVIEW
    published = services.postmortem_publish(postmortem=in_review, actor=owner, confirm=True)
    assert published.publish_confirmed == ["1 comment is not resolved.", "No action item follows up on it."]
    assert published.published_by == owner


def test_resolved_comments_and_a_follow_up_need_no_confirmation(in_review, owner, leader, follow_up):
    comment = services.postmortem_comment_add(postmortem=in_review, actor=leader, body="Which alert fired?")
    services.postmortem_comment_resolve(comment=comment, actor=owner)
    services.postmortem_approve(postmortem=in_review, actor=leader)
    check = services.postmortem_publish_check(postmortem=in_review, actor=owner)
    assert check.ready and check.warnings == []


def test_the_settings_can_block_instead_of_asking(in_review, owner, leader):
    _settings(postmortem_publish_warnings=OrgSettings.PublishWarnings.BLOCK)
    services.postmortem_approve(postmortem=in_review, actor=leader)
    with pytest.raises(ValidationError) as exc:
        services.postmortem_publish(postmortem=in_review, actor=owner, confirm=True)
    assert _codes(exc) == ["open_points"] and exc.value.messages == ["No action item follows up on it."]


# --- real reasons ----------------------------------------------------------------------------


def test_publishing_a_draft_says_it_is_a_draft(postmortem, owner):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "S"}, expected_version=1)
    with pytest.raises(ValidationError) as exc:
        services.postmortem_publish(postmortem=postmortem, actor=owner)
    assert exc.value.messages == ["This postmortem is still a draft: send it for review before publishing it."]
    assert "reload" not in exc.value.messages[0]


def test_members_do_not_publish(in_review, teammate):
    with pytest.raises(PermissionDenied):
        services.postmortem_publish(postmortem=in_review, actor=teammate, confirm=True)


# --- comments --------------------------------------------------------------------------------


def test_comments_are_resolved_by_their_author_or_the_owning_team(in_review, owner, leader, outsider):
    services.postmortem_return_to_draft(postmortem=in_review, actor=owner)
    services.postmortem_submit(postmortem=in_review, actor=owner, reviewers=[leader, outsider])
    theirs = services.postmortem_comment_add(postmortem=in_review, actor=leader, body="From erin")
    mine = services.postmortem_comment_add(postmortem=in_review, actor=outsider, body="From charlie")
    with pytest.raises(PermissionDenied):
        services.postmortem_comment_resolve(comment=theirs, actor=outsider)
    assert services.postmortem_comment_resolve(comment=mine, actor=outsider).resolved_by == outsider
    resolved = services.postmortem_comment_resolve(comment=theirs, actor=owner)
    assert resolved.is_resolved and resolved.resolved_by == owner
    reopened = services.postmortem_comment_resolve(comment=theirs, actor=owner, resolved=False)
    assert not reopened.is_resolved and reopened.resolved_by is None


# --- the reviewer picker ---------------------------------------------------------------------


def test_the_picker_leaves_out_the_author(postmortem, owner, teammate, leader):
    people = list(selectors.reviewer_candidates(postmortem=postmortem))
    assert owner not in people and {teammate, leader} <= set(people)


def test_for_a_restricted_incident_the_picker_offers_its_access_list(restricted_incident, admin_user, named):
    from incidents.models import Incident

    postmortem = services.postmortem_start(incident=Incident.objects.get(pk=restricted_incident.pk), actor=admin_user)
    assert list(selectors.reviewer_candidates(postmortem=postmortem)) == [named]


# --- the page --------------------------------------------------------------------------------


def _detail(client, postmortem):
    return client.get(postmortem.get_absolute_url()).content.decode()


def _post_and_follow(client, url, data=None):
    response = client.post(url, data or {})
    assert response.status_code == 303
    return client.get(response["Location"]).content.decode()


def test_the_page_shows_approvals_and_what_publishing_still_needs(client_as, in_review, owner, leader):
    body = _detail(client_as(owner), in_review)
    assert "has not approved yet" in body and "Not ready to publish" in body
    assert "It needs 1 more approval from a named reviewer other than the author." in body
    assert 'disabled aria-disabled="true">Publish</button>' in body
    assert "Approve version" not in body, "the author does not approve"
    reviewer_page = _detail(client_as(leader), in_review)
    assert "Approve version 2</button>" in reviewer_page and ">Publish</button>" not in reviewer_page
    approve = reverse("incidents:postmortem-approve", args=[in_review.pk])
    assert 'name="version" value="2"' in reviewer_page
    services.postmortem_save(postmortem=in_review, actor=owner, data={"summary": "Newer"}, expected_version=2)
    body = _post_and_follow(client_as(leader), approve, {"version": "2"})
    assert "Version 3 was saved after the version 2 you read: read it, then approve." in body
    assert "Approved: the author was notified." in _post_and_follow(client_as(leader), approve, {"version": "3"})
    body = _detail(client_as(owner), in_review)
    assert "Approved version 3" in body and "Before publishing" in body
    assert "No action item follows up on it." in body and 'name="confirm"' in body
    assert 'disabled aria-disabled="true">Publish' not in body


def test_publishing_from_the_page_without_confirming_says_why(client_as, in_review, owner, leader):
    services.postmortem_approve(postmortem=in_review, actor=leader)
    url = reverse("incidents:postmortem-publish", args=[in_review.pk])
    body = _post_and_follow(client_as(owner), url)
    assert "Confirm to publish anyway: No action item follows up on it." in body
    assert Postmortem.objects.get(pk=in_review.pk).status == Postmortem.Status.IN_REVIEW
    body = _post_and_follow(client_as(owner), url, {"confirm": "1"})
    assert "Published: everyone can read it now." in body
    assert "Confirmed when publishing: No action item follows up on it." in body


def test_publishing_a_draft_from_the_page_gives_the_real_reason(client_as, postmortem, owner):
    url = reverse("incidents:postmortem-publish", args=[postmortem.pk])
    body = _post_and_follow(client_as(owner), url)
    assert "This postmortem is still a draft: send it for review before publishing it." in body
    assert "no longer in review" not in body


def test_the_submit_form_leaves_out_the_author_and_needs_a_pick(client_as, postmortem, owner, teammate):
    body = _detail(client_as(teammate), postmortem)
    assert "data-people-picker" in body and f'value="{teammate.pk}"' in body
    assert f'value="{owner.pk}"' not in body, "the author is not offered"
    url = reverse("incidents:postmortem-submit", args=[postmortem.pk])
    response = client_as(teammate).post(url, {"reviewers": [owner.pk]})
    assert response.status_code == 400 and "is not one of the available choices" in response.content.decode()


def test_resolving_a_comment_over_htmx_refreshes_the_comments_and_the_review(client_as, in_review, owner, leader):
    comment = services.postmortem_comment_add(postmortem=in_review, actor=leader, body="Which alert?")
    url = reverse("incidents:comment-resolve", args=[in_review.pk, comment.pk])
    body = client_as(owner).post(url, {"resolved": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<section id="comments">') and "Resolved by" in body and ">Reopen<" in body
    assert '<section class="workflow" id="review" aria-labelledby="review-heading" hx-swap-oob="true">' in body
    assert "comment is not resolved" not in body
    assert services.PostmortemComment.objects.get(pk=comment.pk).is_resolved


def test_outsiders_cannot_resolve_comments(client_as, in_review, leader, outsider):
    comment = services.postmortem_comment_add(postmortem=in_review, actor=leader, body="Which alert?")
    url = reverse("incidents:comment-resolve", args=[in_review.pk, comment.pk])
    assert client_as(outsider).post(url).status_code == 404, "a draft of another team"


# --- the API ---------------------------------------------------------------------------------

API = "/api/v1/postmortems/"


def test_api_approve_and_publish_give_clear_reasons(api_as, in_review, owner, teammate, leader):
    url = f"{API}{in_review.pk}/"
    response = api_as(teammate).post(f"{url}approve/")
    assert response.status_code == 403 and response.json()["error"]["message"] == (
        "Only the named reviewers approve this postmortem."
    )
    response = api_as(owner).post(f"{url}publish/", {"confirm": True})
    error = response.json()["error"]
    assert response.status_code == 409 and error["code"] == "approvals_required"
    assert error["reasons"] == [{"code": "approvals_required", "message": error["message"]}]
    response = api_as(leader).post(f"{url}approve/", {"version": 1})
    assert response.status_code == 409 and response.json()["error"]["code"] == "stale_version"
    response = api_as(leader).post(f"{url}approve/", {"version": 2})
    assert response.status_code == 200
    assert response.json()["approvals"] == [
        {"reviewer": "erin", "version": 2, "current": True, "created_at": response.json()["approvals"][0]["created_at"]}
    ]
    response = api_as(owner).post(f"{url}publish/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "confirmation_required"
    response = api_as(owner).post(f"{url}publish/", {"confirm": "yes please"})
    assert response.status_code == 400 and "confirm" in response.json()["error"]["fields"]
    response = api_as(owner).post(f"{url}publish/", {"confirm": True})
    assert response.status_code == 200 and response.json()["published_by"] == "alice"


def test_api_publishing_a_draft_is_409_with_the_reason(api_as, postmortem, owner):
    response = api_as(owner).post(f"{API}{postmortem.pk}/publish/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_transition"
    assert "still a draft" in response.json()["error"]["message"]


def test_api_comment_resolve(api_as, in_review, owner, leader, teammate):
    comment = services.postmortem_comment_add(postmortem=in_review, actor=leader, body="Which alert?")
    url = f"{API}{in_review.pk}/comments/{comment.pk}/resolve/"
    response = api_as(teammate).post(url)
    assert response.status_code == 200 and response.json()["resolved_by"] == "bob"
    response = api_as(leader).post(url, {"resolved": False})
    assert response.status_code == 200 and response.json()["resolved_at"] is None
    assert api_as(owner).post(f"{API}{in_review.pk}/comments/999999/resolve/").status_code == 404
