"""Demo readiness reviews for `manage.py seed_demo`: one review at each stage, a pre-mortem and a game day.

Idempotent: a review that already exists (same service and title) is left alone.
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from reviews import services
from reviews.defaults import ensure_defaults
from reviews.lens_cache import questions_by_id
from reviews.models import Answer, Milestone, Review, RiskAcceptance
from reviews.selectors import builtin_version
from teams.models import User

# How a team answers a question: every practice, about half of them, or "None of these".
STRONG, PARTIAL, NONE = "strong", "partial", "none"

NOTES = {
    "prep_rollback": "Rollback is `deploy rollback <release>`; last exercised in the March release train.",
    "op_backups": "Nightly snapshots are automated. **No restore has been tested** since the storage migration.",
    "prep_alerting": "Paging alerts are on error-budget burn rate; see the alert catalogue.",
    "op_oncall": "Two-level rotation shared with Fraud Scoring; handover every Monday 10:00.",
}
LINKS = {
    "prep_rollback": ["https://wiki.example.com/runbooks/checkout-api#rollback"],
    "prep_alerting": ["https://grafana.example.com/alerting/list?search=checkout"],
}


def _answer(review: Review, actor: User, plan: dict[str, str], default: str | None) -> None:
    answers = Answer.objects.filter(review=review).select_related("review_lens__lens_version").order_by("position")
    for answer in answers:
        how = plan.get(answer.question_id, default)
        if how is None:
            continue
        question = questions_by_id(answer.review_lens.lens_version)[answer.question_id]
        practices = [c.id for c in question.choices if not c.is_none_of_these]
        nones = [c.id for c in question.choices if c.is_none_of_these]
        if how == STRONG:
            selected = practices
        elif how == PARTIAL:
            selected = practices[: max(1, len(practices) // 2)]
        else:
            selected = nones[:1] or practices[:1]
        services.answer_update(
            answer=answer,
            actor=actor,
            version=answer.version,
            selected=selected,
            notes=NOTES.get(answer.question_id, ""),
            evidence_links=LINKS.get(answer.question_id, []),
        )


def _start(org: dict[str, Any], service: str, title: str, lead: str) -> Review | None:
    system = org["systems"][service]
    if Review.objects.filter(system=system, title=title).exists():
        return None
    return services.review_create(
        actor=org["people"][lead], system=system, title=title, lens_versions=[builtin_version()]
    )


def _backdate(review: Review, *, days: int) -> None:
    when = timezone.now() - timedelta(days=days)
    Review.objects.filter(pk=review.pk).update(created_at=when)
    for offset, milestone in enumerate(review.milestones.order_by("created_at", "id")):
        Milestone.objects.filter(pk=milestone.pk).update(created_at=when + timedelta(days=2 + 2 * offset))
    if review.status == Review.Status.APPROVED:
        Review.objects.filter(pk=review.pk).update(approved_at=when + timedelta(days=6))


def seed(org: dict[str, Any]) -> None:
    ensure_defaults()
    people = org["people"]

    # 1. Draft, just started: Search API has two answers so far.
    review = _start(org, "search-api", "Search API: yearly readiness check", "dave")
    if review:
        _answer(review, people["dave"], {"org_ownership": STRONG, "org_slos": PARTIAL}, None)

    # 2. Half answered, several high risks: Fraud Scoring before its first production traffic.
    review = _start(org, "fraud-scoring", "Fraud Scoring v2: go-live readiness", "alice")
    if review:
        ids = list(review.answers.order_by("position").values_list("question_id", flat=True))
        plan = {qid: (NONE, PARTIAL, STRONG)[i % 3] for i, qid in enumerate(ids[: len(ids) // 2])}
        _answer(review, people["bob"], plan, None)
        services.milestone_create(review=review, actor=people["alice"], name="First pass")
        services.scenario_create(
            review=review,
            actor=people["alice"],
            title="Model server stalls and every authorization times out",
            description="Scoring sits on the checkout path; a stalled model blocks payments instead of scoring them.",
            likelihood="medium",
            impact="high",
            mitigation="Fail open after 40 ms with a rules-only score; alert on the fail-open rate.",
            owner=people["bob"],
        )
        services.scenario_create(
            review=review,
            actor=people["alice"],
            title="A bad model version doubles false declines",
            description="A retrained model ships with a skewed threshold.",
            likelihood="low",
            impact="high",
            mitigation="Shadow-score every new model for a week; compare decline rates before promotion.",
            owner=people["alice"],
        )

    # 3. Awaiting sign-off with an accepted high risk: Checkout API's multi-region launch.
    review = _start(org, "checkout-api", "Checkout API: multi-region launch", "alice")
    if review:
        _answer(review, people["bob"], {"op_backups": NONE, "op_toil": PARTIAL}, STRONG)
        backups = review.answers.get(question_id="op_backups")
        services.risk_accept(
            answer=backups,
            actor=people["alice"],
            reason="Restore test is booked for the week after launch; snapshots are automated and replicated.",
            expires_at=timezone.now() + timedelta(days=21),
        )
        services.milestone_create(review=review, actor=people["alice"], name="Design review")
        services.review_request_launch(
            review=review, actor=people["alice"], note="Dashboards and runbooks are linked on each answer."
        )
        services.review_sign_off(review=review, actor=people["alice"], note="Team is ready; on-call trained.")
        game_day = services.game_day_create(
            review=review,
            actor=people["alice"],
            title="Zone failure in eu-west",
            held_on=timezone.localdate() - timedelta(days=5),
            scenario="Drain one availability zone during peak test traffic and watch checkout latency and errors.",
            participants="Alice Nguyen, Bob Okafor, Carol Schmidt",
            outcome="partial",
            summary="Traffic moved within 90 seconds, but the payment-provider connection pool took 6 minutes "
            "to refill.",
        )
        finding = services.finding_create(
            game_day=game_day,
            actor=people["bob"],
            description="Provider connection pool does not pre-warm after failover",
        )
        services.finding_to_action(
            finding=finding,
            actor=people["alice"],
            owner=people["bob"],
            due_date=timezone.localdate() + timedelta(days=14),
        )
        services.finding_create(
            game_day=game_day,
            actor=people["bob"],
            description="The failover runbook still names the old load balancer",
        )
        plan_answer = review.answers.filter(risk="medium").first()
        if plan_answer:
            services.plan_item_to_action(
                answer=plan_answer,
                actor=people["alice"],
                owner=people["bob"],
                due_date=timezone.localdate() + timedelta(days=30),
            )

    # 4. Approved, with milestones: the Kubernetes platform.
    review = _start(org, "k8s-platform", "Kubernetes Platform: 1.31 upgrade readiness", "carol")
    if review:
        _answer(review, people["grace"], {}, PARTIAL)
        services.milestone_create(review=review, actor=people["carol"], name="Before hardening")
        _answer(review, people["grace"], {}, STRONG)
        services.milestone_create(review=review, actor=people["carol"], name="Go-live")
        _approve(review, lead=people["carol"], outside=people["dave"])
        _backdate(review, days=45)

    # 5. Overdue: Login Service's last approved review is older than the tier-1 interval.
    review = _start(org, "login", "Login Service: passkeys launch", "frank")
    if review:
        _answer(review, people["frank"], {}, STRONG)
        _approve(review, lead=people["frank"], outside=people["carol"])
        _backdate(review, days=130)

    # 6. Reopened: Payouts was approved with an accepted high risk whose acceptance has since lapsed.
    review = _start(org, "payouts", "Payouts: bank file v3 launch", "alice")
    if review:
        _answer(review, people["bob"], {"op_backups": NONE}, STRONG)
        backups = review.answers.get(question_id="op_backups")
        acceptance = services.risk_accept(
            answer=backups,
            actor=people["alice"],
            reason="Restore drill planned with the storage team before month end.",
            expires_at=timezone.now() + timedelta(days=1),
        )
        _approve(review, lead=people["alice"], outside=people["dave"])
        _backdate(review, days=40)
        # Demo only: move the acceptance into the past, as if 40 days had gone by; the sweep then records it.
        RiskAcceptance.objects.filter(pk=acceptance.pk).update(
            created_at=timezone.now() - timedelta(days=35), expires_at=timezone.now() - timedelta(days=2)
        )
        review.decisions.update(created_at=timezone.now() - timedelta(days=34))
        services.review_reopen_lapsed(review=review)


def _approve(review: Review, *, lead: User, outside: User) -> None:
    services.review_request_launch(review=review, actor=lead)
    services.review_sign_off(review=review, actor=lead)
    services.review_sign_off(review=review, actor=outside, note="Runbooks and alerts checked.")
    review.refresh_from_db()
