"""The launch page and the service page: sign-off ticks, a lapsed acceptance, history, refusal reasons."""

import re
from datetime import timedelta

import pytest
import time_machine

from reviews import services
from reviews.models import Decision
from tests.factories import UserFactory, approve_with_accepted_risk


def ticks(page):
    """{"lead": bool, "external": bool} as the sign-off list shows them."""
    items = re.findall(r'aria-label="(signed off|missing)">[^<]*</span> (Lead of|Reviewer from outside)', page)
    return {("lead" if who == "Lead of" else "external"): state == "signed off" for state, who in items}


@pytest.fixture
def approved(review, owner, outsider):
    high, acceptance = approve_with_accepted_risk(review, lead=owner, outsider=outsider)
    return review, high, acceptance


def test_approved_launch_shows_both_signoffs(client_as, approved, teammate):
    review, _, _ = approved
    page = client_as(teammate).get(f"/reviews/{review.pk}/launch/").content.decode()
    assert "Approved for production</strong>" in page
    assert ticks(page) == {"lead": True, "external": True}


def test_withdrawn_request_shows_no_signoffs(client_as, review, owner):
    services.review_request_launch(review=review, actor=owner)
    for answer in review.answers.all():
        q = answer.question_id
        services.answer_update(answer=answer, actor=owner, version=answer.version, selected=[f"{q}_a", f"{q}_b"])
    services.review_sign_off(review=review, actor=owner)
    page = client_as(owner).get(f"/reviews/{review.pk}/launch/").content.decode()
    assert ticks(page) == {"lead": True, "external": False}
    services.review_withdraw_launch(review=review, actor=owner)
    page = client_as(owner).get(f"/reviews/{review.pk}/launch/").content.decode()
    assert ticks(page) == {"lead": False, "external": False}


def test_lapsed_acceptance_reopens_the_launch_page_at_once(client_as, approved, owner):
    review, high, acceptance = approved
    with time_machine.travel(acceptance.expires_at + timedelta(minutes=1), tick=False):
        page = client_as(owner).get(f"/reviews/{review.pk}/launch/").content.decode()
        assert 'class="pill status-reopened">Reopened: an accepted risk lapsed<' in page
        assert "The launch decision is open again" in page and "Question 2</a>: accepted by" in page
        assert "Approved for production</strong>" not in page
        assert ticks(page) == {"lead": False, "external": False}
        assert "Blocks launch" in page and "Accept this risk again" in page
        assert 'class="history-acceptance_expired"' in page and "Risk acceptance expired: Question 2" in page
        assert 'class="history-risk_accepted"' in page and "Failover drill booked" in page
        # The sweep records it: the same page, now with the decision by opsx.
        services.risk_acceptance_sweep_lapses()
        page = client_as(owner).get(f"/reviews/{review.pk}/launch/").content.decode()
        assert 'class="history-reopened"' in page and "opsx (automatic)" in page
        assert "The launch decision is open again" in page
        list_page = client_as(owner).get("/reviews/?status=reopened").content.decode()
        assert review.title in list_page


def test_service_page_shows_the_reopened_launch(client_as, approved, outsider, service):
    review, _, acceptance = approved
    page = client_as(outsider).get(f"/services/{service.slug}/").content.decode()
    assert "Launch reopened" not in page
    with time_machine.travel(acceptance.expires_at + timedelta(minutes=1), tick=False):
        page = client_as(outsider).get(f"/services/{service.slug}/").content.decode()
        assert "Launch reopened:" in page and f"/reviews/{review.pk}/launch/" in page
        assert "the acceptance of “Question 2” lapsed on" in page
        assert "(reopened: an accepted risk lapsed)" in page
        services.risk_acceptance_sweep_lapses()
        assert "Launch reopened:" in client_as(outsider).get(f"/services/{service.slug}/").content.decode()


def test_home_lists_a_reopened_launch_as_awaiting_signoff(client_as, approved, owner):
    review, _, acceptance = approved
    assert review.title not in client_as(owner).get("/").content.decode()
    with time_machine.travel(acceptance.expires_at + timedelta(minutes=1), tick=False):
        page = client_as(owner).get("/").content.decode()
        assert "Awaiting sign-off" in page and review.title in page and "Reopened" in page


@pytest.mark.parametrize("who", ["teammate", "nobody"])
def test_page_and_api_give_the_same_signoff_refusal(client_as, api_as, request, review, owner, who):
    user = request.getfixturevalue("teammate") if who == "teammate" else UserFactory(username="nobody")
    services.review_request_launch(review=review, actor=owner)
    reason = services.signoff_refusal(review=review, user=user)
    assert reason and "Payments" in reason
    page = client_as(user).get(f"/reviews/{review.pk}/launch/").content.decode()
    assert f"You cannot sign off: {reason}" in page.replace("&#x27;", "'")
    refused = client_as(user).post(f"/reviews/{review.pk}/launch/signed_off/")
    assert refused.status_code == 403 and reason in refused.content.decode().replace("&#x27;", "'")
    response = api_as(user).post("/api/v1/decisions/", {"review": review.pk, "kind": "signed_off"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == {"status": 403, "code": "permission_denied", "message": reason}
    assert not Decision.objects.filter(kind=Decision.Kind.SIGNED_OFF).exists()
