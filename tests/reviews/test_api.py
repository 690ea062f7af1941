"""The reviews API: every endpoint as owner (lead), teammate (member) and outsider (lead of another team)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents.models import ActionItem
from reviews.models import Answer, Decision, LensVersion, Milestone, Review, RiskAcceptance
from tests.factories import WILD_LENS_WARNINGS, UserFactory, make_lens_yaml, make_wild_aws_lens
from tests.shared_data import SHARED_LENS_FILES, needs_shared_lenses


def answer_of(review, qid):
    return review.answers.get(question_id=qid)


def patch(client, answer, body, **headers):
    return client.patch(f"/api/v1/answers/{answer.pk}/", body, format="json", **headers)


# --- lenses ---------------------------------------------------------------------------------


def test_lens_list_retrieve_and_export(api_as, teammate):
    client = api_as(teammate)
    slugs = [lens["slug"] for lens in client.get("/api/v1/lenses/").json()["results"]]
    assert "operational-readiness" in slugs
    detail = client.get("/api/v1/lenses/operational-readiness/").json()
    assert detail["versions"][0]["question_count"] >= 25
    exported = client.get("/api/v1/lenses/operational-readiness/export/?fmt=aws")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/json")
    assert b'"schemaVersion": "2021-11-01"' in exported.content
    assert client.get("/api/v1/lenses/operational-readiness/export/?fmt=xml").status_code == 400


@pytest.mark.parametrize("who,expected", [("owner", 201), ("admin_user", 201), ("teammate", 403), ("leader", 403)])
def test_lens_upload_is_for_admins_and_team_leads(api_as, request, who, expected):
    client = api_as(request.getfixturevalue(who))
    upload = SimpleUploadedFile("new.yaml", make_lens_yaml(name=f"Upload {who}").encode())
    response = client.post("/api/v1/lenses/upload/", {"file": upload}, format="multipart")
    assert response.status_code == expected, response.content


def test_lens_upload_outcomes_and_errors(api_as, owner):
    client = api_as(owner)

    def upload(text, name="lens.yaml"):
        return client.post(
            "/api/v1/lenses/upload/", {"file": SimpleUploadedFile(name, text.encode())}, format="multipart"
        )

    first = upload(make_lens_yaml(name="API Lens", questions=2))
    assert (first.status_code, first.json()["outcome"]) == (201, "created")
    same = upload(make_lens_yaml(name="API Lens", questions=2))
    assert (same.status_code, same.json()["outcome"]) == (200, "unchanged")
    newer = upload(make_lens_yaml(name="API Lens", questions=3))
    assert (newer.json()["outcome"], newer.json()["version"]["number"]) == ("new version", 2)
    count = LensVersion.objects.count()
    bad = upload(make_lens_yaml(name="API Lens", questions=4).replace("q001_b", "q001_a", 1))
    assert bad.status_code == 400
    assert any(
        line.startswith("pillars[0].questions[1].choices[1].id") for line in bad.json()["error"]["fields"]["file"]
    )
    assert LensVersion.objects.count() == count
    assert upload("{not json", name="x.json").status_code == 400


def test_lens_upload_returns_the_repairs_and_strict_refuses(api_as, owner):
    client = api_as(owner)

    def upload(**extra):
        body = {"file": SimpleUploadedFile("wild.json", make_wild_aws_lens().encode()), **extra}
        return client.post("/api/v1/lenses/upload/", body, format="multipart")

    strict = upload(strict="true")
    assert strict.status_code == 400
    assert strict.json()["error"]["fields"]["file"][0] == "_release_note: unknown key (a strict import refuses this)"
    assert len(strict.json()["error"]["fields"]["file"]) == len(WILD_LENS_WARNINGS)
    assert not LensVersion.objects.filter(lens__name="Wild Lens").exists()
    created = upload()
    assert (created.status_code, created.json()["warnings"]) == (201, WILD_LENS_WARNINGS)
    again = upload()
    assert (again.status_code, again.json()["outcome"], again.json()["warnings"]) == (
        200,
        "unchanged",
        WILD_LENS_WARNINGS,
    )


# --- reviews --------------------------------------------------------------------------------


@pytest.mark.parametrize("who,expected", [("owner", 201), ("teammate", 201), ("outsider", 403), ("leader", 403)])
def test_review_create(api_as, request, service, who, expected):
    response = api_as(request.getfixturevalue(who)).post(
        "/api/v1/reviews/", {"title": "Launch", "service": service.slug}, format="json"
    )
    assert response.status_code == expected
    if expected == 201:
        review = Review.objects.get(pk=response.json()["id"])
        assert review.answers.count() >= 25  # the built-in lens by default


def test_review_create_validation(api_as, owner, service):
    response = api_as(owner).post(
        "/api/v1/reviews/", {"title": "", "service": service.slug, "lenses": ["nope"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"title", "lenses"}
    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "leader"])
def test_everyone_reads_reviews_answers_and_plan(api_as, request, review, who):
    client = api_as(request.getfixturevalue(who))
    assert client.get("/api/v1/reviews/").json()["count"] == 1
    detail = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert detail["counts"]["unanswered"] == 5
    assert detail["lens_details"][0]["lens"] == "test-lens"
    assert client.get(f"/api/v1/answers/?review={review.pk}").json()["count"] == 5
    assert client.get(f"/api/v1/reviews/{review.pk}/plan/").status_code == 200


@pytest.mark.parametrize("who,expected", [("owner", 200), ("teammate", 200), ("outsider", 403), ("leader", 403)])
def test_answer_update_permissions(api_as, request, review, who, expected):
    answer = answer_of(review, "q000")
    response = patch(api_as(request.getfixturevalue(who)), answer, {"selected": ["q000_a"], "version": 1})
    assert response.status_code == expected
    answer.refresh_from_db()
    assert answer.version == (2 if expected == 200 else 1)


def test_answer_etag_and_stale_writes(api_as, owner, teammate, review):
    answer = answer_of(review, "q001")
    got = api_as(owner).get(f"/api/v1/answers/{answer.pk}/")
    etag = got["ETag"]
    ok = patch(api_as(owner), answer, {"selected": ["q001_a"]}, HTTP_IF_MATCH=etag)
    assert (ok.status_code, ok.json()["risk"], ok.json()["version"]) == (200, "medium", 2)
    stale = patch(api_as(teammate), answer, {"selected": ["q001_b"]}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["error"]["current"]["selected"] == ["q001_a"]
    conflict = patch(api_as(teammate), answer, {"selected": ["q001_b"], "version": 1})
    assert conflict.status_code == 409
    assert patch(api_as(teammate), answer, {"selected": ["q001_b"]}).status_code == 428
    answer.refresh_from_db()
    assert (answer.selected, answer.version) == (["q001_a"], 2)


def test_answer_validation_errors(api_as, owner, review):
    answer = answer_of(review, "q002")
    bad = patch(api_as(owner), answer, {"selected": ["zzz"], "version": 1})
    assert bad.status_code == 400 and "selected" in bad.json()["error"]["fields"]
    na = patch(api_as(owner), answer, {"not_applicable": True, "version": 1})
    assert na.status_code == 400 and "na_reason" in na.json()["error"]["fields"]
    link = patch(api_as(owner), answer, {"evidence_links": ["not a url"], "version": 1})
    assert link.status_code == 400
    answer.refresh_from_db()
    assert answer.version == 1


@pytest.mark.parametrize("who,expected", [("owner", 201), ("teammate", 201), ("outsider", 403)])
def test_plan_item_to_action_item(api_as, request, review, owner, who, expected):
    answer = answer_of(review, "q003")
    patch(api_as(owner), answer, {"selected": ["q003_no"], "version": 1})
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = api_as(request.getfixturevalue(who)).post(
        f"/api/v1/answers/{answer.pk}/action-item/", {"owner": "alice", "due_date": due}, format="json"
    )
    assert response.status_code == expected
    assert ActionItem.objects.filter(origin=ActionItem.Origin.REVIEW).count() == (1 if expected == 201 else 0)
    if expected == 201:
        plan = api_as(owner).get(f"/api/v1/reviews/{review.pk}/plan/").json()
        assert plan[0]["action_items"][0]["owner"] == "alice"


def test_upgrade_endpoint(api_as, owner, outsider, review):
    client = api_as(owner)
    assert client.post(f"/api/v1/reviews/{review.pk}/upgrade/", {"lens": "test-lens"}, format="json").status_code == 409
    from reviews import services

    services.lens_import(data=make_lens_yaml(name="Test Lens", questions=6), actor=None)
    assert api_as(outsider).post(f"/api/v1/reviews/{review.pk}/upgrade/", {"lens": "test-lens"}).status_code == 403
    response = client.post(f"/api/v1/reviews/{review.pk}/upgrade/", {"lens": "test-lens"}, format="json")
    assert response.status_code == 200
    assert response.json()["upgrade"]["added"] == ["q005"]
    assert response.json()["lens_details"][0]["version"] == 2


# --- milestones, decisions, acceptances -----------------------------------------------------


@pytest.mark.parametrize("who,expected", [("owner", 201), ("teammate", 201), ("outsider", 403)])
def test_milestone_create(api_as, request, review, who, expected):
    response = api_as(request.getfixturevalue(who)).post(
        "/api/v1/milestones/", {"review": review.pk, "name": "Beta"}, format="json"
    )
    assert response.status_code == expected
    assert Milestone.objects.count() == (1 if expected == 201 else 0)


def test_milestone_compare_and_duplicate(api_as, owner, outsider, review):
    client = api_as(owner)
    a = client.post("/api/v1/milestones/", {"review": review.pk, "name": "A"}, format="json").json()["id"]
    assert client.post("/api/v1/milestones/", {"review": review.pk, "name": "A"}, format="json").status_code == 400
    patch(client, answer_of(review, "q000"), {"selected": ["q000_no"], "version": 1})
    b = client.post("/api/v1/milestones/", {"review": review.pk, "name": "B"}, format="json").json()["id"]
    diff = api_as(outsider).get(f"/api/v1/milestones/compare/?a={a}&b={b}").json()
    assert (diff["counts_before"]["high"], diff["counts_after"]["high"]) == (0, 1)
    assert [c["question_id"] for c in diff["changes"]] == ["q000"]
    assert api_as(outsider).get("/api/v1/milestones/compare/?a=x").status_code == 400


def _answer_all(client, review):
    for answer in review.answers.all():
        q = answer.question_id
        assert patch(client, answer, {"selected": [f"{q}_a", f"{q}_b"], "version": answer.version}).status_code == 200


def test_launch_flow_over_the_api(api_as, owner, teammate, outsider, review):
    lead, member, other = api_as(owner), api_as(teammate), api_as(outsider)
    _answer_all(lead, review)
    high = answer_of(review, "q004")
    patch(lead, high, {"selected": ["q004_no"], "version": high.version})

    def decide(client, kind):
        return client.post("/api/v1/decisions/", {"review": review.pk, "kind": kind}, format="json")

    assert decide(other, "requested").status_code == 403
    assert decide(member, "requested").status_code == 201
    assert decide(member, "signed_off").status_code == 403  # a plain member cannot sign off
    blocked = decide(lead, "signed_off")
    assert blocked.status_code == 409 and "q004" in blocked.json()["error"]["message"]
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    body = {"answer": high.pk, "reason": "Failover drill booked for next sprint", "expires_at": expires}
    assert api_as(teammate).post("/api/v1/risk-acceptances/", body, format="json").status_code == 403
    assert api_as(outsider).post("/api/v1/risk-acceptances/", body, format="json").status_code == 403
    assert lead.post("/api/v1/risk-acceptances/", {**body, "reason": ""}, format="json").status_code == 400
    assert lead.post("/api/v1/risk-acceptances/", body, format="json").status_code == 201
    assert decide(lead, "signed_off").status_code == 201
    assert lead.get(f"/api/v1/reviews/{review.pk}/").json()["signoffs"] == ["lead"]
    assert decide(other, "signed_off").status_code == 201
    detail = other.get(f"/api/v1/reviews/{review.pk}/").json()
    assert detail["status"] == "approved"
    kinds = [d["kind"] for d in other.get(f"/api/v1/decisions/?review={review.pk}").json()["results"]]
    assert kinds == ["approved", "signed_off", "signed_off", "requested"]
    assert other.get(f"/api/v1/risk-acceptances/?review={review.pk}").json()["results"][0]["is_active"] is True
    assert RiskAcceptance.objects.count() == 1
    assert Decision.objects.filter(kind=Decision.Kind.APPROVED).count() == 1


def test_person_who_leads_no_team_cannot_sign_externally(api_as, owner, review):
    api_as(owner).post("/api/v1/decisions/", {"review": review.pk, "kind": "requested"}, format="json")
    plain = UserFactory(username="plain")
    response = api_as(plain).post("/api/v1/decisions/", {"review": review.pk, "kind": "signed_off"}, format="json")
    assert response.status_code == 403


def test_answer_list_excludes_nothing_and_filters_by_risk(api_as, owner, review):
    patch(api_as(owner), answer_of(review, "q000"), {"selected": ["q000_no"], "version": 1})
    data = api_as(owner).get(f"/api/v1/answers/?review={review.pk}&risk=high").json()
    assert [a["question_id"] for a in data["results"]] == ["q000"]
    assert Answer.objects.filter(review=review).count() == 5


def test_approved_review_answers_are_frozen(api_as, owner, outsider, review):
    client = api_as(owner)
    _answer_all(client, review)
    client.post("/api/v1/decisions/", {"review": review.pk, "kind": "requested"}, format="json")
    client.post("/api/v1/decisions/", {"review": review.pk, "kind": "signed_off"}, format="json")
    api_as(outsider).post("/api/v1/decisions/", {"review": review.pk, "kind": "signed_off"}, format="json")
    answer = answer_of(review, "q000")
    response = patch(client, answer, {"selected": ["q000_no"], "version": answer.version})
    assert response.status_code == 409 and "frozen" in response.json()["error"]["message"]
    answer.refresh_from_db()
    assert answer.risk == "none"


def test_review_title_update(api_as, owner, outsider, review):
    assert api_as(outsider).patch(f"/api/v1/reviews/{review.pk}/", {"title": "X"}, format="json").status_code == 403
    response = api_as(owner).patch(f"/api/v1/reviews/{review.pk}/", {"title": "Renamed"}, format="json")
    assert response.status_code == 200
    review.refresh_from_db()
    assert review.title == "Renamed"
    assert api_as(owner).patch(f"/api/v1/reviews/{review.pk}/", {"title": ""}, format="json").status_code == 400


@needs_shared_lenses
def test_upload_aws_json_over_the_api(api_as, admin_user):
    path = SHARED_LENS_FILES[0]
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/json")
    response = api_as(admin_user).post("/api/v1/lenses/upload/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    slug = response.json()["lens"]["slug"]
    exported = api_as(admin_user).get(f"/api/v1/lenses/{slug}/export/?fmt=aws")
    again = SimpleUploadedFile("again.json", exported.content)
    assert api_as(admin_user).post("/api/v1/lenses/upload/", {"file": again}, format="multipart").json()["outcome"] == (
        "unchanged"
    )


# --- pre-mortem and game days ---------------------------------------------------------------


@pytest.mark.parametrize("who,expected", [("owner", 201), ("teammate", 201), ("outsider", 403), ("leader", 403)])
def test_failure_scenario_create(api_as, request, review, owner, who, expected):
    body = {"review": review.pk, "title": "Cache stampede", "likelihood": "medium", "impact": "high", "owner": "alice"}
    response = api_as(request.getfixturevalue(who)).post("/api/v1/failure-scenarios/", body, format="json")
    assert response.status_code == expected, response.content


def test_failure_scenario_validation_and_update(api_as, owner, teammate, outsider, review):
    bad = api_as(owner).post(
        "/api/v1/failure-scenarios/", {"review": review.pk, "title": "", "impact": "huge"}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"title", "impact"}
    created = api_as(owner).post("/api/v1/failure-scenarios/", {"review": review.pk, "title": "DNS"}, format="json")
    url = f"/api/v1/failure-scenarios/{created.json()['id']}/"
    assert api_as(outsider).get(url).status_code == 200
    assert api_as(outsider).patch(url, {"mitigation": "x"}, format="json").status_code == 403
    response = api_as(teammate).patch(url, {"mitigation": "Two resolvers", "likelihood": "low"}, format="json")
    assert (response.status_code, response.json()["mitigation"], response.json()["likelihood"]) == (
        200,
        "Two resolvers",
        "low",
    )


def test_game_day_findings_and_action_items(api_as, owner, teammate, outsider, review):
    day = timezone.localdate().isoformat()
    body = {"review": review.pk, "title": "Region drain", "held_on": day, "scenario": "Drain eu-west"}
    assert api_as(outsider).post("/api/v1/game-days/", body, format="json").status_code == 403
    game_day = api_as(teammate).post("/api/v1/game-days/", body, format="json").json()
    url = f"/api/v1/game-days/{game_day['id']}/"
    assert api_as(outsider).post(f"{url}findings/", {"description": "x"}, format="json").status_code == 403
    assert api_as(teammate).post(f"{url}findings/", {"description": ""}, format="json").status_code == 400
    finding = api_as(teammate).post(f"{url}findings/", {"description": "Pager went to the old rota"}, format="json")
    assert finding.status_code == 201
    assert api_as(outsider).get(url).json()["findings"][0]["description"] == "Pager went to the old rota"
    action_url = f"/api/v1/game-day-findings/{finding.json()['id']}/action-item/"
    assert api_as(outsider).post(action_url, {}, format="json").status_code == 403
    item = api_as(owner).post(action_url, {"owner": "bob"}, format="json")
    assert item.status_code == 201 and item.json()["origin"] == ActionItem.Origin.GAME_DAY
    assert api_as(owner).patch(url, {"outcome": "failed"}, format="json").json()["outcome"] == "failed"
    assert api_as(outsider).get(f"/api/v1/game-day-findings/?review={review.pk}").json()["count"] == 1


def test_api_shows_a_lapsed_approval_as_reopened_with_its_history(api_as, owner, outsider, review):
    import time_machine

    from reviews import services
    from tests.factories import approve_with_accepted_risk

    _, acceptance = approve_with_accepted_risk(review, lead=owner, outsider=outsider)
    client = api_as(outsider)
    detail = client.get(f"/api/v1/reviews/{review.pk}/").json()
    assert (detail["status"], detail["signoffs"], detail["blockers"]) == ("approved", ["external", "lead"], [])
    with time_machine.travel(acceptance.expires_at + timedelta(minutes=1), tick=False):
        detail = client.get(f"/api/v1/reviews/{review.pk}/").json()
        assert (detail["status"], detail["signoffs"], detail["blockers"]) == ("reopened", [], ["q002"])
        listed = client.get("/api/v1/reviews/?status=reopened").json()["results"]
        assert [r["id"] for r in listed] == [review.pk] and listed[0]["status"] == "reopened"
        assert client.get("/api/v1/reviews/?status=approved").json()["results"] == []
        services.risk_acceptance_sweep_lapses()
        history = client.get(f"/api/v1/reviews/{review.pk}/launch-history/").json()
        assert [e["kind"] for e in history[:2]] == ["reopened", "acceptance_expired"]
        assert history[0]["actor"] is None and history[0]["automatic"] is True
        assert "risk_accepted" in [e["kind"] for e in history]
        decisions = client.get(f"/api/v1/decisions/?review={review.pk}&kind=reopened").json()["results"]
        assert len(decisions) == 1 and decisions[0]["actor"] is None
        (acc,) = client.get(f"/api/v1/risk-acceptances/?review={review.pk}").json()["results"]
        assert acc["is_active"] is False and acc["lapse_recorded_at"] is not None
    refused = client.post("/api/v1/decisions/", {"review": review.pk, "kind": "reopened"}, format="json")
    assert refused.status_code == 400 and "kind" in refused.json()["error"]["fields"]


def test_lens_upload_nested_thousands_deep_is_a_400(api_as, owner):
    upload = SimpleUploadedFile("deep.json", ("[" * 10_000 + "]" * 10_000).encode())
    response = api_as(owner).post("/api/v1/lenses/upload/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["file"] == ["nested too deeply to be a lens"]
