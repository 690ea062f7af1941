"""Answering, risk, improvement plan, milestones, upgrade and the launch sign-off rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from incidents.models import ActionItem
from incidents.services import action_items_for_source
from reviews import selectors, services
from reviews.models import Answer, Decision, Review, Risk, TierPolicy
from tests.factories import UserFactory, make_lens_yaml


def save(answer, actor, selected, **kw):
    answer.refresh_from_db()
    return services.answer_update(answer=answer, actor=actor, version=answer.version, selected=selected, **kw)


def test_review_creates_one_unanswered_answer_per_question(review):
    assert review.team_id == review.system.team_id
    assert review.answers.count() == 5
    assert set(review.answers.values_list("risk", flat=True)) == {Risk.UNANSWERED}


@pytest.mark.parametrize(
    "selected,risk",
    [(["q000_a", "q000_b"], Risk.NONE), (["q000_a"], Risk.MEDIUM), (["q000_b"], Risk.HIGH), (["q000_no"], Risk.HIGH)],
)
def test_risk_follows_the_lens_rules(answers, owner, selected, risk):
    assert save(answers["q000"], owner, selected).risk == risk


def test_not_applicable_needs_a_reason_and_has_no_risk(answers, owner):
    with pytest.raises(ValidationError) as exc:
        save(answers["q001"], owner, [], not_applicable=True, na_reason=" ")
    assert "na_reason" in exc.value.message_dict
    answer = save(answers["q001"], owner, ["q001_a"], not_applicable=True, na_reason="Batch job, no users")
    assert (answer.risk, answer.selected) == (Risk.NOT_APPLICABLE, [])


def test_bad_input_is_refused_and_nothing_saved(answers, owner):
    for kwargs in (
        {"selected": ["zzz"]},
        {"selected": ["q002_a", "q002_no"]},
        {"selected": [], "evidence_links": ["ftp://x"]},
    ):
        with pytest.raises(ValidationError):
            save(answers["q002"], owner, **kwargs)
    answers["q002"].refresh_from_db()
    assert (answers["q002"].version, answers["q002"].risk) == (1, Risk.UNANSWERED)


def test_stale_write_is_refused_with_the_newer_answer(answers, owner, teammate):
    answer = answers["q003"]
    services.answer_update(answer=answer, actor=owner, version=1, selected=["q003_a"])
    with pytest.raises(services.StaleAnswer) as exc:
        services.answer_update(answer=answer, actor=teammate, version=1, selected=["q003_b"])
    assert exc.value.current.version == 2
    assert exc.value.current.selected == ["q003_a"]
    assert Answer.objects.get(pk=answer.pk).selected == ["q003_a"]


def test_rollups_per_pillar_lens_and_review(answers, review, owner):
    save(answers["q000"], owner, ["q000_b"])
    save(answers["q001"], owner, ["q001_a"])
    save(answers["q002"], owner, ["q002_a", "q002_b"])
    counts = selectors.review_counts(review)
    assert (counts.high, counts.medium, counts.none, counts.unanswered, counts.answered) == (1, 1, 1, 2, 3)
    (lens_view,) = selectors.review_structure(review)
    assert lens_view.counts.counts == counts.counts
    assert lens_view.pillars[0].counts.high == 1


def test_improvement_plan_orders_by_risk_and_lists_missing_guidance(answers, review, owner):
    save(answers["q001"], owner, ["q001_a"])
    save(answers["q004"], owner, ["q004_no"])
    plan = selectors.improvement_plan(review, user=owner)
    assert [(i["question"].id, i["risk"]) for i in plan] == [("q004", Risk.HIGH), ("q001", Risk.MEDIUM)]
    assert [s["text"] for s in plan[1]["steps"]] == ["Adopt B for 1"]
    assert [s["text"] for s in plan[0]["steps"]] == ["Adopt A for 4", "Adopt B for 4"]


def test_plan_item_becomes_an_action_item(answers, review, owner, teammate):
    answer = save(answers["q004"], owner, ["q004_no"])
    due = timezone.localdate() + timedelta(days=14)
    item = services.plan_item_to_action(answer=answer, actor=owner, owner=teammate, due_date=due)
    assert (item.origin, item.team, item.owner, item.due_date) == (ActionItem.Origin.REVIEW, review.team, teammate, due)
    assert item.priority == ActionItem.Priority.P2
    assert "Adopt A for 4" in item.description
    assert list(action_items_for_source(answer)) == [item]
    assert selectors.improvement_plan(review, user=owner)[0]["action_items"] == [item]
    with pytest.raises(ValidationError):
        services.plan_item_to_action(answer=answers["q000"], actor=owner)


def test_milestones_are_snapshots_and_compare(answers, review, owner):
    save(answers["q000"], owner, ["q000_b"])
    first = services.milestone_create(review=review, actor=owner, name="Design review")
    save(answers["q000"], owner, ["q000_a", "q000_b"])
    save(answers["q001"], owner, ["q001_a"])
    second = services.milestone_create(review=review, actor=owner, name="Pre-launch")
    first.refresh_from_db()
    assert first.snapshot["counts"]["high"] == 1  # unchanged by later answers
    diff = selectors.milestone_compare(first.snapshot, second.snapshot)
    assert diff["counts_before"]["high"] == 1 and diff["counts_after"]["high"] == 0
    assert diff["counts_after"]["medium"] == 1
    changed = {c["question_id"]: c for c in diff["changes"]}
    assert set(changed) == {"q000", "q001"}
    assert (changed["q000"]["risk_before"], changed["q000"]["risk_after"]) == (Risk.HIGH, Risk.NONE)
    with pytest.raises(ValidationError):
        services.milestone_create(review=review, actor=owner, name="Pre-launch")


def test_upgrade_carries_answers_over_and_reports_changes(answers, review, owner):
    save(answers["q000"], owner, ["q000_a", "q000_b"])
    save(answers["q001"], owner, ["q001_a"], notes="kept")
    # v2: q000 loses choice b (and its rule), q004 is gone, q005 and q006 are new.
    text = make_lens_yaml(name="Test Lens", questions=7)
    text = text.replace("  - id: q000_b\n", "  - id: q000_zz\n").replace(
        "condition: q000_a && q000_b", "condition: q000_a && q000_zz"
    )
    import yaml

    doc = yaml.safe_load(text)
    doc["pillars"][0]["questions"] = [q for q in doc["pillars"][0]["questions"] if q["id"] != "q004"]
    v2 = services.lens_import(data=yaml.safe_dump(doc, sort_keys=False), actor=None, fmt="yaml").version
    (lens_view,) = selectors.review_structure(review)
    assert lens_view.newer == v2
    upgrade = services.review_lens_upgrade(review_lens=lens_view.review_lens, actor=owner)
    assert upgrade.changes["added"] == ["q005", "q006"]
    assert upgrade.changes["removed"] == ["q004"]
    assert upgrade.changes["dropped_choices"] == {"q000": ["q000_b"]}
    assert "q000" in upgrade.changes["changed"]
    after = {a.question_id: a for a in review.answers.all()}
    assert set(after) == {"q000", "q001", "q002", "q003", "q005", "q006"}
    assert (after["q000"].selected, after["q000"].risk) == (["q000_a"], Risk.MEDIUM)
    assert (after["q001"].selected, after["q001"].notes) == (["q001_a"], "kept")
    with pytest.raises(services.ReviewStateError):
        services.review_lens_upgrade(review_lens=lens_view.review_lens, actor=owner)


# --- launch ---------------------------------------------------------------------------------


@pytest.fixture
def requested(review, owner, answers):
    for qid, answer in answers.items():
        save(answer, owner, [f"{qid}_a", f"{qid}_b"])
    services.review_request_launch(review=review, actor=owner)
    return review


def test_launch_needs_lead_and_outside_signoff(requested, owner, outsider, teammate):
    with pytest.raises(PermissionDenied):
        services.review_sign_off(review=requested, actor=teammate)
    services.review_sign_off(review=requested, actor=owner)
    requested.refresh_from_db()
    assert requested.status == Review.Status.REQUESTED
    with pytest.raises(services.ReviewStateError):
        services.review_sign_off(review=requested, actor=owner)
    services.review_sign_off(review=requested, actor=outsider, note="Looked at the runbooks.")
    requested.refresh_from_db()
    assert requested.status == Review.Status.APPROVED
    kinds = list(requested.decisions.order_by("id").values_list("kind", "role"))
    assert kinds == [
        (Decision.Kind.REQUESTED, ""),
        (Decision.Kind.SIGNED_OFF, Decision.Role.LEAD),
        (Decision.Kind.SIGNED_OFF, Decision.Role.EXTERNAL),
        (Decision.Kind.APPROVED, ""),
    ]


def test_tier_without_external_signoff_needs_only_the_lead(requested, owner):
    TierPolicy.objects.filter(tier=requested.system.tier).update(requires_external_signoff=False)
    services.review_sign_off(review=requested, actor=owner)
    requested.refresh_from_db()
    assert requested.status == Review.Status.APPROVED


def test_high_risk_blocks_until_accepted_and_again_after_expiry(requested, owner, outsider, answers):
    answer = save(answers["q002"], owner, ["q002_no"])
    with pytest.raises(services.ReviewStateError, match="q002"):
        services.review_sign_off(review=requested, actor=owner)
    acceptance = services.risk_accept(
        answer=answer,
        actor=owner,
        reason="Manual failover drill is booked",
        expires_at=timezone.now() + timedelta(days=30),
    )
    services.review_sign_off(review=requested, actor=owner)
    # The acceptance expires before the outside reviewer signs: blocked again.
    type(acceptance).objects.filter(pk=acceptance.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert [a.question_id for a in selectors.launch_blockers(requested)] == ["q002"]
    with pytest.raises(services.ReviewStateError):
        services.review_sign_off(review=requested, actor=outsider)
    services.risk_accept(answer=answer, actor=owner, reason="Extended", expires_at=timezone.now() + timedelta(days=7))
    services.review_sign_off(review=requested, actor=outsider)
    requested.refresh_from_db()
    assert requested.status == Review.Status.APPROVED
    assert answer.acceptances.count() == 2  # history kept


def test_accepting_requires_a_high_risk_a_reason_and_a_future_expiry(answers, owner):
    answer = save(answers["q000"], owner, ["q000_b"])
    later = timezone.now() + timedelta(days=3)
    with pytest.raises(ValidationError):
        services.risk_accept(answer=answer, actor=owner, reason="", expires_at=later)
    with pytest.raises(ValidationError):
        services.risk_accept(answer=answer, actor=owner, reason="ok", expires_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationError):
        services.risk_accept(answer=save(answer, owner, ["q000_a"]), actor=owner, reason="ok", expires_at=later)


def test_withdraw_and_signoff_without_request(review, owner):
    with pytest.raises(services.ReviewStateError):
        services.review_sign_off(review=review, actor=owner)
    services.review_request_launch(review=review, actor=owner)
    with pytest.raises(services.ReviewStateError):
        services.review_request_launch(review=review, actor=owner)
    services.review_withdraw_launch(review=review, actor=owner)
    review.refresh_from_db()
    assert review.status == Review.Status.DRAFT


def test_member_without_lead_role_elsewhere_cannot_sign_externally(requested):
    nobody = UserFactory(username="nolead")
    with pytest.raises(PermissionDenied):
        services.review_sign_off(review=requested, actor=nobody)


def test_cadence_from_last_approval(service, requested, owner, outsider):
    cadence = selectors.service_cadence(service)
    assert cadence.last_approved is None
    assert cadence.next_due == timezone.localdate(service.created_at) + timedelta(days=90)
    services.review_sign_off(review=requested, actor=owner)
    services.review_sign_off(review=requested, actor=outsider)
    Review.objects.filter(pk=requested.pk).update(approved_at=timezone.now() - timedelta(days=100))
    cadence = selectors.service_cadence(service)
    assert cadence.last_approved == requested
    assert cadence.overdue
    assert cadence.days_left == -10


def test_game_day_finding_becomes_action_item(review, owner):
    game_day = services.game_day_create(
        review=review,
        actor=owner,
        title="Primary DB failover",
        held_on=timezone.localdate(),
        scenario="Kill the primary",
    )
    finding = services.finding_create(game_day=game_day, actor=owner, description="Failover took 9 minutes\nwanted 2")
    item = services.finding_to_action(finding=finding, actor=owner, owner=owner)
    assert (item.origin, item.title, item.team) == (ActionItem.Origin.GAME_DAY, "Failover took 9 minutes", review.team)
    assert list(action_items_for_source(finding)) == [item]
