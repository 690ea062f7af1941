"""A risk acceptance that lapses after approval reopens the launch: derived on read, recorded once by the sweep."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from opsx import hooks
from reviews import selectors, services
from reviews.models import Decision, Review, RiskAcceptance
from tests.factories import approve_with_accepted_risk, make_review


def save(answer, actor, selected, **kw):
    answer.refresh_from_db()
    return services.answer_update(answer=answer, actor=actor, version=answer.version, selected=selected, **kw)


@pytest.fixture
def approved(review, owner, outsider):
    high, acceptance = approve_with_accepted_risk(review, lead=owner, outsider=outsider)
    assert review.status == Review.Status.APPROVED
    return review, high, acceptance


def after_lapse(acceptance):
    return time_machine.travel(acceptance.expires_at + timedelta(minutes=5), tick=False)


def reopenings(review):
    return list(review.decisions.filter(kind=Decision.Kind.REOPENED))


def test_lapsed_acceptance_reads_as_reopened_at_once(approved):
    review, high, acceptance = approved
    assert review.launch_status == Review.Status.APPROVED
    assert selectors.current_signoff_roles(review) == {"lead", "external"}
    with after_lapse(acceptance):
        fresh = Review.objects.get(pk=review.pk)
        assert fresh.status == Review.Status.APPROVED  # nothing written yet
        assert fresh.launch_status == Review.Status.REOPENED
        assert Review.objects.with_launch_status().get(pk=review.pk).launch_status == Review.Status.REOPENED
        assert [a.question_id for a in selectors.launch_blockers(fresh)] == ["q002"]
        assert selectors.current_signoff_roles(fresh) == set()  # the approval's sign-offs no longer count
        (lapsed,) = selectors.lapsed_risks(fresh)
        assert (lapsed.answer, lapsed.acceptance, lapsed.title) == (high, acceptance, "Question 2")
        assert [r.pk for r in selectors.pending_reopenings()] == [review.pk]
        kinds = [e.kind for e in selectors.launch_history(fresh)]
        assert kinds[0] == "acceptance_expired" and "risk_accepted" in kinds
        assert reopenings(fresh) == []


def test_sweep_records_the_reopening_once_as_opsx(approved):
    review, high, acceptance = approved
    assert services.risk_acceptance_sweep_lapses() == []  # nothing lapsed yet
    with after_lapse(acceptance):
        (decision,) = services.risk_acceptance_sweep_lapses()
        assert services.risk_acceptance_sweep_lapses() == []
        assert services.review_reopen_lapsed(review=review) is None
        review.refresh_from_db()
        assert review.status == Review.Status.REOPENED
        assert (decision.kind, decision.actor, decision.review) == (Decision.Kind.REOPENED, None, review)
        assert "Question 2 (q002)" in decision.note and str(acceptance.accepted_by) in decision.note
        acceptance.refresh_from_db()
        assert acceptance.lapse_recorded_at is not None
        assert reopenings(review) == [decision]
        assert selectors.pending_reopenings() == []
        history = selectors.launch_history(review)
        assert [(e.kind, e.automatic) for e in history[:2]] == [("reopened", True), ("acceptance_expired", False)]


def test_reopening_calls_the_notification_hook_once(approved):
    review, _, acceptance = approved
    calls = []

    def receiver(**kwargs):
        calls.append(kwargs)

    hooks.register("launch_reopened", receiver)
    try:
        with after_lapse(acceptance):
            services.risk_acceptance_sweep_lapses()
            services.risk_acceptance_sweep_lapses()
    finally:
        hooks.unregister("launch_reopened", receiver)
    assert len(calls) == 1
    assert calls[0]["review"] == review and calls[0]["decision"].kind == Decision.Kind.REOPENED
    assert [item.answer.question_id for item in calls[0]["lapsed"]] == ["q002"]


def test_reopened_launch_needs_fixing_or_accepting_and_new_signoffs(approved, owner, outsider):
    review, high, acceptance = approved
    with after_lapse(acceptance):
        services.risk_acceptance_sweep_lapses()
        with pytest.raises(services.ReviewStateError, match="q002"):
            services.review_sign_off(review=review, actor=owner)
        services.risk_accept(
            answer=high, actor=owner, reason="Drill moved", expires_at=timezone.now() + timedelta(days=14)
        )
        review.refresh_from_db()
        assert review.launch_status == Review.Status.REOPENED  # accepting again does not approve by itself
        services.review_sign_off(review=review, actor=owner)
        review.refresh_from_db()
        assert review.status == Review.Status.REOPENED
        assert selectors.current_signoff_roles(review) == {"lead"}
        services.review_sign_off(review=review, actor=outsider)
        review.refresh_from_db()
        assert review.status == Review.Status.APPROVED
        assert review.approved_at > acceptance.expires_at
    kinds = list(review.decisions.order_by("id").values_list("kind", flat=True))
    assert kinds[-4:] == ["reopened", "signed_off", "signed_off", "approved"]


def test_a_write_on_a_lapsed_approval_records_the_reopening_first(approved, owner):
    review, high, acceptance = approved
    with after_lapse(acceptance):
        services.risk_accept(answer=high, actor=owner, reason="Extended", expires_at=timezone.now() + timedelta(days=7))
        review.refresh_from_db()
        assert review.status == Review.Status.REOPENED
        assert len(reopenings(review)) == 1
        assert services.risk_acceptance_sweep_lapses() == []  # already handled
    assert len(reopenings(review)) == 1


def test_answers_of_a_lapsed_approval_can_be_fixed(approved, owner, answers):
    review, high, acceptance = approved
    with pytest.raises(services.ReviewStateError, match="frozen"):
        save(answers["q002"], owner, ["q002_a", "q002_b"])
    with after_lapse(acceptance):
        fixed = save(answers["q002"], owner, ["q002_a", "q002_b"])
        assert fixed.risk == "none"
        review.refresh_from_db()
        assert review.status == Review.Status.REOPENED
        assert selectors.launch_blockers(review) == []
        assert len(reopenings(review)) == 1


def test_withdrawing_a_reopened_launch_returns_it_to_draft(approved, owner):
    review, _, acceptance = approved
    with after_lapse(acceptance):
        services.review_withdraw_launch(review=review, actor=owner)
        review.refresh_from_db()
        assert review.status == Review.Status.DRAFT
        assert selectors.current_signoff_roles(review) == set()
        assert [d.kind for d in review.decisions.order_by("-id")[:2]] == ["withdrawn", "reopened"]


def test_a_lapse_that_reopens_nothing_is_only_marked(review, answers, owner, outsider):
    for qid, answer in answers.items():
        save(answer, owner, [f"{qid}_a", f"{qid}_b"])
    high = save(answers["q002"], owner, ["q002_no"])
    services.review_request_launch(review=review, actor=owner)
    soon = timezone.now() + timedelta(days=2)
    short = services.risk_accept(answer=high, actor=owner, reason="Short", expires_at=soon)
    # Not approved when it lapses: the sign-off refuses anyway, nothing to reopen.
    with time_machine.travel(short.expires_at + timedelta(minutes=1), tick=False):
        assert services.risk_acceptance_sweep_lapses() == []
        short.refresh_from_db()
        assert short.lapse_recorded_at is not None
        # A newer acceptance covers the risk: approval stands when the older one lapses.
        services.risk_accept(answer=high, actor=owner, reason="Longer", expires_at=timezone.now() + timedelta(days=9))
        services.review_sign_off(review=review, actor=owner)
        services.review_sign_off(review=review, actor=outsider)
    review.refresh_from_db()
    assert review.status == Review.Status.APPROVED
    assert reopenings(review) == []


def test_extension_before_the_lapse_keeps_the_approval(approved, owner):
    review, high, acceptance = approved
    later = acceptance.expires_at + timedelta(days=30)
    services.risk_accept(answer=high, actor=owner, reason="Extended", expires_at=later)
    with after_lapse(acceptance):
        assert Review.objects.get(pk=review.pk).launch_status == Review.Status.APPROVED
        assert services.risk_acceptance_sweep_lapses() == []
        acceptance.refresh_from_db()
        assert acceptance.lapse_recorded_at is not None


def test_status_filter_uses_the_status_as_of_now(approved, owner):
    from reviews.filters import ReviewFilterSet

    review, _, acceptance = approved

    def matching(status):
        return list(ReviewFilterSet({"status": [status]}, queryset=selectors.review_list(user=owner)).qs)

    assert matching("approved") == [review]
    with after_lapse(acceptance):
        assert matching("approved") == []
        assert matching("reopened") == [review]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_one_reopening(monkeypatch, service, owner, outsider):
    from reviews.defaults import ensure_defaults

    ensure_defaults()
    review = make_review(system=service, questions=5)
    _, acceptance = approve_with_accepted_risk(review, lead=owner, outsider=outsider)
    RiskAcceptance.objects.filter(pk=acceptance.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    barrier = threading.Barrier(2, timeout=10)
    real = services.review_reopen_lapsed

    def after_both_found_it(**kwargs):
        barrier.wait()  # both sweeps have listed the lapse before either handles it
        return real(**kwargs)

    monkeypatch.setattr(services, "review_reopen_lapsed", after_both_found_it)
    results, errors = [], []

    def sweep():
        try:
            results.append(services.risk_acceptance_sweep_lapses())
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors, errors
    assert sorted(len(r) for r in results) == [0, 1]
    assert Decision.objects.filter(review=review, kind=Decision.Kind.REOPENED).count() == 1
    assert Review.objects.get(pk=review.pk).status == Review.Status.REOPENED
