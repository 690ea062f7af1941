"""Browser pages: permissions, htmx answering with live counts, stale writes, fixed query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import ActionItem
from reviews import services
from reviews.models import Answer, FailureScenario, GameDay, Lens, Milestone, Review
from teams.models import User
from tests.factories import WILD_LENS_WARNINGS, SystemFactory, make_lens_yaml, make_review, make_wild_aws_lens

HTMX = {"HTTP_HX_REQUEST": "true"}


def post_answer(client, review, answer, selected, version=None, **extra):
    data = {"selected": selected, "version": version or answer.version, **extra}
    return client.post(f"/reviews/{review.pk}/answers/{answer.pk}/", data, **HTMX)


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "leader"])
@pytest.mark.parametrize(
    "path",
    ["/reviews/", "/reviews/{pk}/", "/reviews/{pk}/plan/", "/reviews/{pk}/launch/", "/reviews/{pk}/milestones/",
     "/reviews/{pk}/exercises/", "/reviews/{pk}/history/", "/reviews/lenses/", "/reviews/lenses/test-lens/",
     "/services/checkout-api/", "/"],
)  # fmt: skip
def test_pages_render_for_everyone(client_as, request, review, who, path):
    response = client_as(request.getfixturevalue(who)).get(path.format(pk=review.pk))
    assert response.status_code == 200


def test_anonymous_is_sent_to_login(client, review):
    assert client.get(f"/reviews/{review.pk}/").status_code == 302


def test_review_page_shows_forms_only_to_the_team(client_as, owner, outsider, review):
    mine = client_as(owner).get(f"/reviews/{review.pk}/").content.decode()
    theirs = client_as(outsider).get(f"/reviews/{review.pk}/").content.decode()
    assert "hx-post" in mine and "read only" not in mine
    assert "hx-post" not in theirs and "read only" in theirs


def test_htmx_answer_saves_and_updates_counts_out_of_band(client_as, teammate, review):
    answer = review.answers.get(question_id="q000")
    response = post_answer(client_as(teammate), review, answer, ["q000_no"])
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="q-{answer.pk}-version" value="2" hx-swap-oob="true"' in body
    assert 'id="review-summary" class="review-summary" hx-swap-oob="true"' in body
    assert "1 of 5" in body and "1 high" in body
    answer.refresh_from_db()
    assert (answer.risk, answer.updated_by) == ("high", teammate)


def test_stale_browser_write_shows_the_newer_answer(client_as, owner, teammate, review):
    answer = review.answers.get(question_id="q001")
    post_answer(client_as(owner), review, answer, ["q001_a"], version=1)
    response = post_answer(client_as(teammate), review, answer, ["q001_b"], version=1)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#q-{answer.pk}"
    body = response.content.decode()
    assert "changed this answer while you were editing" in body
    assert 'value="q001_a" checked' in body
    answer.refresh_from_db()
    assert answer.selected == ["q001_a"]


def test_invalid_answer_is_not_saved(client_as, owner, review):
    answer = review.answers.get(question_id="q002")
    response = post_answer(client_as(owner), review, answer, ["q002_a", "q002_no"])
    assert "Not saved" in response.content.decode()
    response = post_answer(client_as(owner), review, answer, [], not_applicable="on", na_reason="")
    assert "Say why" in response.content.decode()
    answer.refresh_from_db()
    assert answer.version == 1


@pytest.mark.parametrize("who,expected", [("outsider", 403), ("leader", 403)])
def test_outsiders_cannot_answer(client_as, request, review, who, expected):
    answer = review.answers.get(question_id="q000")
    assert post_answer(client_as(request.getfixturevalue(who)), review, answer, ["q000_a"]).status_code == expected
    assert Answer.objects.get(pk=answer.pk).version == 1


def test_plain_post_without_htmx_redirects_back(client_as, owner, review):
    answer = review.answers.get(question_id="q000")
    response = client_as(owner).post(
        f"/reviews/{review.pk}/answers/{answer.pk}/", {"selected": ["q000_a"], "version": 1}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#q-{answer.pk}")


def _count_queries(client, method, url, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_review_page_and_answer_endpoint_run_a_fixed_number_of_queries(client_as, owner, team):
    counts = {}
    for size in (5, 50):
        system = SystemFactory(team=team, tier=2)
        review = make_review(system=system, questions=size, lens_name=f"Lens {size}")
        client = client_as(owner)
        client.get(f"/reviews/{review.pk}/")  # warm the parsed-lens cache and the session
        page = _count_queries(client, "get", f"/reviews/{review.pk}/")
        answer = review.answers.get(question_id="q003")
        save = _count_queries(
            client,
            "post",
            f"/reviews/{review.pk}/answers/{answer.pk}/",
            data={"selected": ["q003_a"], "version": 1},
            **HTMX,
        )
        counts[size] = (page, save)
    print("queries (page, answer) for 5 and 50 questions:", counts)
    assert counts[5] == counts[50]


def test_api_answer_query_count_is_fixed(api_as, owner, team):
    counts = []
    for size in (5, 50):
        review = make_review(system=SystemFactory(team=team), questions=size, lens_name=f"API Lens {size}")
        answer = review.answers.get(question_id="q001")
        api_as(owner).get(f"/api/v1/answers/{answer.pk}/")  # warm the parsed-lens cache
        client = api_as(User.objects.get(pk=owner.pk))  # a fresh user object, as in a real request
        with CaptureQueriesContext(connection) as ctx:
            response = client.patch(
                f"/api/v1/answers/{answer.pk}/", {"selected": ["q001_a"], "version": 1}, format="json"
            )
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    print("API answer PATCH queries for 5 and 50 questions:", counts)
    assert counts[0] == counts[1]


def test_create_review_in_browser(client_as, teammate, service, outsider):
    page = client_as(teammate).get(f"/reviews/new/?service={service.slug}")
    assert page.status_code == 200 and "Operational Readiness" in page.content.decode()
    lens_version = Lens.objects.get(slug="operational-readiness").versions.get()
    response = client_as(teammate).post(
        "/reviews/new/", {"system": service.pk, "title": "Browser review", "lenses": [lens_version.pk]}
    )
    review = Review.objects.get(title="Browser review")
    assert response.status_code == 303 and response["Location"] == review.get_absolute_url()
    assert review.answers.count() == lens_version.question_count
    bad = client_as(teammate).post("/reviews/new/", {"system": service.pk, "title": "", "lenses": []})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    assert client_as(outsider).get("/reviews/new/").status_code == 403  # their team owns no service
    SystemFactory(team=outsider.teams.get())
    refused = client_as(outsider).post(
        "/reviews/new/", {"system": service.pk, "title": "x", "lenses": [lens_version.pk]}
    )
    assert refused.status_code == 200 and not Review.objects.filter(title="x").exists()  # not a choice for them


def test_plan_item_to_action_item_in_browser(client_as, owner, teammate, outsider, review):
    answer = review.answers.get(question_id="q004")
    post_answer(client_as(owner), review, answer, ["q004_no"])
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    data = {f"a{answer.pk}-owner": teammate.pk, f"a{answer.pk}-due_date": due, f"a{answer.pk}-priority": "p1"}
    url = f"/reviews/{review.pk}/plan/{answer.pk}/action/"
    assert client_as(outsider).post(url, data, **HTMX).status_code == 403
    response = client_as(owner).post(url, data, **HTMX)
    assert response.status_code == 200
    item = ActionItem.objects.get()
    assert (item.owner, item.priority, item.origin) == (teammate, "p1", ActionItem.Origin.REVIEW)
    assert item.title in response.content.decode()
    past = {**data, f"a{answer.pk}-due_date": "2000-01-01"}
    assert "in the past" in client_as(owner).post(url, past, **HTMX).content.decode()
    assert ActionItem.objects.count() == 1


def test_milestones_and_compare_in_browser(client_as, owner, outsider, review):
    url = f"/reviews/{review.pk}/milestones/"
    assert client_as(outsider).post(url, {"name": "Nope"}).status_code == 403
    client_as(owner).post(url, {"name": "One"})
    post_answer(client_as(owner), review, review.answers.get(question_id="q000"), ["q000_no"])
    client_as(owner).post(url, {"name": "Two"})
    assert client_as(owner).post(url, {"name": "Two"}).status_code == 400
    one, two = Milestone.objects.get(name="One"), Milestone.objects.get(name="Two")
    page = client_as(outsider).get(f"{url}?a={one.pk}&b={two.pk}").content.decode()
    assert "One → Two" in page and "q000" in page
    assert client_as(outsider).get(f"{url}{one.pk}/").status_code == 200


def test_launch_in_browser(client_as, owner, outsider, teammate, review):
    for answer in review.answers.all():
        q = answer.question_id
        post_answer(client_as(owner), review, answer, [f"{q}_a", f"{q}_b"])
    high = review.answers.get(question_id="q002")
    post_answer(client_as(owner), review, high, ["q002_no"], version=2)
    assert client_as(outsider).post(f"/reviews/{review.pk}/launch/requested/").status_code == 403
    client_as(teammate).post(f"/reviews/{review.pk}/launch/requested/")
    page = client_as(owner).get(f"/reviews/{review.pk}/launch/").content.decode()
    assert "block sign-off" in page
    client_as(owner).post(f"/reviews/{review.pk}/launch/signed_off/")
    review.refresh_from_db()
    assert not review.decisions.filter(kind="signed_off").exists()
    accept = f"/reviews/{review.pk}/accept/{high.pk}/"
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert (
        client_as(teammate).post(accept, {f"r{high.pk}-reason": "x", f"r{high.pk}-expires_on": day}).status_code == 403
    )
    assert client_as(owner).post(accept, {f"r{high.pk}-reason": "", f"r{high.pk}-expires_on": day}).status_code == 400
    client_as(owner).post(accept, {f"r{high.pk}-reason": "Drill booked", f"r{high.pk}-expires_on": day})
    assert f"Accepted until {day}" in client_as(outsider).get(f"/reviews/{review.pk}/").content.decode()
    client_as(owner).post(f"/reviews/{review.pk}/launch/signed_off/")
    client_as(outsider).post(f"/reviews/{review.pk}/launch/signed_off/", {"note": "Looks good"})
    review.refresh_from_db()
    assert review.status == Review.Status.APPROVED
    page = client_as(outsider).get(f"/reviews/{review.pk}/launch/").content.decode()
    assert "Approved for production" in page and "Looks good" in page


def test_exercises_in_browser(client_as, owner, outsider, review):
    base = f"/reviews/{review.pk}/exercises/"
    scenario = {"title": "Primary DB lost", "likelihood": "low", "impact": "high", "mitigation": "Replica promotion"}
    assert client_as(outsider).post(f"{base}scenarios/", scenario).status_code == 403
    client_as(owner).post(f"{base}scenarios/", scenario)
    assert client_as(owner).post(f"{base}scenarios/", {"title": ""}).status_code == 400
    assert FailureScenario.objects.count() == 1
    day = timezone.localdate().isoformat()
    client_as(owner).post(
        f"{base}game-days/", {"title": "Zone drain", "held_on": day, "outcome": "passed", "scenario": "Drain"}
    )
    game_day = GameDay.objects.get()
    client_as(owner).post(f"{base}game-days/{game_day.pk}/findings/", {"description": "Alert fired late"})
    finding = game_day.findings.get()
    form_url = f"/actions/new/?game_day_finding={finding.pk}"
    form = client_as(owner).get(form_url).content.decode()
    assert 'value="Alert fired late"' in form and f'name="game_day_finding" value="{finding.pk}"' in form
    data = {"title": "Alert fired late", "team": review.team.pk, "priority": "p2", "game_day_finding": finding.pk}
    response = client_as(owner).post("/actions/new/", data)
    assert response.status_code == 303 and response["Location"] == finding.get_absolute_url()
    item = ActionItem.objects.get()
    assert (item.origin, item.source) == (ActionItem.Origin.GAME_DAY, finding)
    page = client_as(outsider).get(base).content.decode()
    assert "Primary DB lost" in page and "Alert fired late" in page


def test_lens_upload_in_browser(client_as, owner, teammate):
    def upload(client, text, name="l.yaml"):
        return client.post("/reviews/lenses/upload/", {"file": SimpleUploadedFile(name, text.encode())})

    assert upload(client_as(teammate), make_lens_yaml(name="Browser Lens")).status_code == 403
    ok = upload(client_as(owner), make_lens_yaml(name="Browser Lens"))
    assert ok.status_code == 303 and Lens.objects.filter(name="Browser Lens").exists()
    bad = upload(client_as(owner), make_lens_yaml(name="Broken Lens").replace("NO_RISK", "NOPE", 1))
    assert bad.status_code == 400 and "pillars[0].questions[0].risk_rules[0].risk" in bad.content.decode()
    assert not Lens.objects.filter(name="Broken Lens").exists()
    export = client_as(teammate).get("/reviews/lenses/browser-lens/export/?fmt=aws")
    assert export.status_code == 200 and b"schemaVersion" in export.content


def test_lens_upload_in_browser_lists_each_repair_and_strict_refuses(client_as, owner):
    client = client_as(owner)

    def upload(**extra):
        body = {"file": SimpleUploadedFile("wild.json", make_wild_aws_lens().encode()), **extra}
        return client.post("/reviews/lenses/upload/", body)

    strict = upload(strict="on")
    assert strict.status_code == 400
    page = strict.content.decode()
    assert "_release_note: unknown key (a strict import refuses this)" in page
    assert 'name="strict"' in page and "checked" in page.split('name="strict"')[1].split(">")[0]
    assert not Lens.objects.filter(name="Wild Lens").exists()
    ok = upload()
    assert (ok.status_code, ok["Location"]) == (303, "/reviews/lenses/wild-lens/")
    page = client.get(ok["Location"])
    shown = [str(m) for m in page.context["messages"]]
    assert shown == [
        f"Wild Lens: created (version 1); {len(WILD_LENS_WARNINGS)} repairs, listed below.",
        *WILD_LENS_WARNINGS,
    ]
    assert "spaces inside the URL; written as %20" in page.content.decode()


def test_upgrade_in_browser(client_as, owner, review):
    services.lens_import(data=make_lens_yaml(name="Test Lens", questions=6), actor=None)
    page = client_as(owner).get(f"/reviews/{review.pk}/").content.decode()
    assert "Version 2 of this lens is available" in page
    rl = review.review_lenses.get()
    response = client_as(owner).post(f"/reviews/{review.pk}/upgrade/{rl.pk}/")
    assert response.status_code == 303
    assert review.answers.count() == 6
    assert "q005" in client_as(owner).get(f"/reviews/{review.pk}/history/").content.decode()


def test_service_panel_shows_cadence(client_as, owner, service):
    page = client_as(owner).get(f"/services/{service.slug}/").content.decode()
    assert "Next review due" in page and "Every 90 days" in page


def test_home_panel_lists_overdue_services_and_requests(client_as, owner, review):
    from teams.models import System

    System.objects.filter(pk=review.system_id).update(created_at=timezone.now() - timedelta(days=200))
    services.review_request_launch(review=review, actor=owner)
    page = client_as(owner).get("/").content.decode()
    assert "Overdue reviews" in page and review.system.name in page
    assert "Awaiting sign-off" in page and review.title in page


def test_approved_review_page_is_read_only(client_as, owner, outsider, review):
    for answer in review.answers.all():
        q = answer.question_id
        post_answer(client_as(owner), review, answer, [f"{q}_a", f"{q}_b"])
    services.review_request_launch(review=review, actor=owner)
    services.review_sign_off(review=review, actor=owner)
    services.review_sign_off(review=review, actor=outsider)
    page = client_as(owner).get(f"/reviews/{review.pk}/").content.decode()
    assert "answers are frozen" in page and "hx-post" not in page
    answer = review.answers.get(question_id="q000")
    response = post_answer(client_as(owner), review, answer, ["q000_no"], version=2)
    assert "Not saved" in response.content.decode()
    assert Answer.objects.get(pk=answer.pk).risk == "none"
