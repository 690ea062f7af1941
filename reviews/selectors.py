"""Reads for lenses and reviews, scoped to a user where they return querysets.

The review page needs a fixed number of queries whatever the lens size: one for the review's
lenses (with their stored versions), one for its answers, one for the active risk acceptances.
The lens content comes from the in-memory cache in `reviews.lens_cache`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from incidents.models import ActionItem
from reviews.defaults import TIER_DEFAULTS
from reviews.lens_cache import lens_of, questions_by_id
from reviews.lensfile import Choice, Question
from reviews.models import (
    RISK_ORDER,
    Answer,
    Decision,
    GameDay,
    GameDayFinding,
    Lens,
    LensVersion,
    Review,
    ReviewLens,
    Risk,
    RiskAcceptance,
    TierPolicy,
)
from teams import permissions
from teams.models import System, User
from teams.permissions import TeamRole


def can_import_lens(user: Any) -> bool:
    """Admins and team leads import lenses: a lens shapes every team's reviews, so not every member."""
    return permissions.is_admin(user) or TeamRole.LEAD in permissions.team_roles(user).values()


def lens_list(*, user: User) -> QuerySet[Lens]:
    latest = LensVersion.objects.filter(lens=OuterRef("pk")).order_by("-number")
    return (
        Lens.objects.visible_to(user)
        .annotate(version_count=Count("versions"))
        .prefetch_related(Prefetch("versions", queryset=LensVersion.objects.order_by("-number")))
        .filter(Exists(latest))
        .order_by("name")
    )


def latest_version(lens: Lens) -> LensVersion:
    return lens.versions.order_by("-number").first()  # type: ignore[return-value]


def newest_versions(lens_ids: list[int] | None = None) -> dict[int, LensVersion]:
    """{lens_id: newest version} (portable: no DISTINCT ON, since dev runs on SQLite)."""
    qs = LensVersion.objects.select_related("lens").defer("document", "source_yaml").order_by("lens_id", "-number")
    if lens_ids is not None:
        qs = qs.filter(lens_id__in=lens_ids)
    newest: dict[int, LensVersion] = {}
    for version in qs:
        newest.setdefault(version.lens_id, version)
    return newest


def latest_versions() -> list[LensVersion]:
    """The newest version of every lens (for pickers), by lens name."""
    return sorted(newest_versions().values(), key=lambda v: v.lens.name)


def review_list(*, user: User) -> QuerySet[Review]:
    return (
        Review.objects.visible_to(user)
        .select_related("system", "team")
        .annotate(
            high_count=Count("answers", filter=Q(answers__risk=Risk.HIGH)),
            answered_count=Count("answers", filter=~Q(answers__risk=Risk.UNANSWERED)),
            question_count=Count("answers"),
        )
    )


# --- counts and roll-ups --------------------------------------------------------------------


@dataclass
class RiskCounts:
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, risks: list[str] | Counter) -> RiskCounts:
        counter = risks if isinstance(risks, Counter) else Counter(risks)
        return cls({r.value: counter.get(r.value, 0) for r in RISK_ORDER})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def answered(self) -> int:
        return self.total - self.counts[Risk.UNANSWERED]

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0

    @property
    def worst(self) -> str:
        for risk in (Risk.HIGH, Risk.MEDIUM, Risk.UNANSWERED, Risk.NONE):
            if self.counts.get(risk):
                return risk
        return Risk.NOT_APPLICABLE if self.total else Risk.UNANSWERED

    def __getattr__(self, name: str) -> int:
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return counts[name]
        raise AttributeError(name)

    def as_dict(self) -> dict[str, int]:
        return {**self.counts, "total": self.total, "answered": self.answered}


def review_counts(review: Review) -> RiskCounts:
    """Risk counts of a whole review in one query."""
    rows = Answer.objects.filter(review=review).values("risk").annotate(n=Count("id"))
    return RiskCounts.of(Counter({row["risk"]: row["n"] for row in rows}))


@dataclass
class QuestionView:
    question: Question
    answer: Answer
    choices: list[Choice]

    @property
    def id(self) -> str:
        return self.question.id


@dataclass
class PillarView:
    id: str
    name: str
    questions: list[QuestionView]
    counts: RiskCounts


@dataclass
class LensView:
    review_lens: ReviewLens
    pillars: list[PillarView]
    counts: RiskCounts
    newer: LensVersion | None = None


def review_lenses(review: Review) -> list[ReviewLens]:
    return list(review.review_lenses.select_related("lens_version", "lens").order_by("position", "id"))


def review_structure(review: Review, *, answers: list[Answer] | None = None) -> list[LensView]:
    """Lenses → pillars → questions with their answers and roll-ups (3 queries, whatever the size)."""
    rls = review_lenses(review)
    if answers is None:
        answers = list(Answer.objects.filter(review=review).select_related("updated_by"))
    by_key = {(a.review_lens_id, a.question_id): a for a in answers}
    newest = newest_versions([rl.lens_id for rl in rls]) if rls else {}
    views = []
    for rl in rls:
        lens = lens_of(rl.lens_version)
        pillars = []
        for pillar in lens.pillars:
            qviews = [
                QuestionView(question=q, answer=by_key[(rl.pk, q.id)], choices=list(q.choices))
                for q in pillar.questions
                if (rl.pk, q.id) in by_key
            ]
            pillars.append(PillarView(pillar.id, pillar.name, qviews, RiskCounts.of([v.answer.risk for v in qviews])))
        newer = newest.get(rl.lens_id)
        views.append(
            LensView(
                review_lens=rl,
                pillars=pillars,
                counts=RiskCounts.of([q.answer.risk for p in pillars for q in p.questions]),
                newer=newer if newer and newer.number > rl.lens_version.number else None,
            )
        )
    return views


# --- improvement plan -----------------------------------------------------------------------


def plan_item(answer: Answer) -> dict[str, Any]:
    """One question at risk with the guidance for what is missing."""
    question = questions_by_id(answer.review_lens.lens_version)[answer.question_id]
    selected = set(answer.selected)
    steps = []
    for choice in question.choices:
        if choice.is_none_of_these or choice.id in selected:
            continue
        guidance = choice.improvement_plan
        steps.append(
            {
                "choice_id": choice.id,
                "choice": choice.title,
                "text": guidance.display_text if guidance else choice.title,
                "url": guidance.url if guidance else None,
            }
        )
    if question.improvement_plan:
        steps.insert(
            0,
            {
                "choice_id": None,
                "choice": "",
                "text": question.improvement_plan.display_text,
                "url": question.improvement_plan.url,
            },
        )
    return {"answer": answer, "question": question, "risk": answer.risk, "steps": steps}


def plan_item_action_defaults(answer: Answer) -> dict[str, Any]:
    """Title, description and priority a new action item from this improvement-plan item starts with."""
    item = plan_item(answer)
    review = answer.review
    lines = [f"From the readiness review “{review.title}” of {review.system.name}.", ""]
    lines += [f"- {step['text']}" + (f" ({step['url']})" if step["url"] else "") for step in item["steps"]]
    return {
        "title": f"Improve: {item['question'].title}"[:200],
        "description": "\n".join(lines),
        "priority": ActionItem.Priority.P2 if answer.risk == Risk.HIGH else ActionItem.Priority.P3,
    }


def finding_action_defaults(finding: GameDayFinding) -> dict[str, Any]:
    """What a new action item from this game-day finding starts with."""
    game_day = finding.game_day
    return {
        "title": (finding.description.splitlines() or [""])[0][:200],
        "description": f"Found during the game day “{game_day.title}” ({game_day.held_on:%Y-%m-%d}).\n\n"
        f"{finding.description}",
        "priority": ActionItem.Priority.P2,
    }


def game_day_action_defaults(game_day: GameDay) -> dict[str, Any]:
    return {"description": f"From the game day “{game_day.title}” ({game_day.held_on:%Y-%m-%d})."}


def answer_title(answer: Answer) -> str:
    """The question's title (the answer row stores only its id)."""
    question = questions_by_id(answer.review_lens.lens_version).get(answer.question_id)
    return question.title if question else answer.question_id


def improvement_plan(review: Review, *, user: User) -> list[dict[str, Any]]:
    """Questions at risk, highest first, each with its guidance and the action items already made from it."""
    answers = list(
        Answer.objects.filter(review=review, risk__in=[Risk.HIGH, Risk.MEDIUM])
        .select_related("review_lens__lens_version", "review_lens__lens")
        .order_by("review_lens__position", "position")
    )
    answers.sort(key=lambda a: RISK_ORDER.index(Risk(a.risk)))
    items_by_answer: dict[int, list[ActionItem]] = {}
    if answers:
        # One query for every item's action items (incidents.services.action_items_for_source, for many sources).
        ct = ContentType.objects.get_for_model(Answer)
        for item in (
            ActionItem.objects.visible_to(user)
            .filter(source_type=ct, source_id__in=[a.pk for a in answers])
            .select_related("owner")
        ):
            items_by_answer.setdefault(item.source_id, []).append(item)
    plan = []
    for answer in answers:
        entry = plan_item(answer)
        entry["lens"] = answer.review_lens.lens
        entry["action_items"] = items_by_answer.get(answer.pk, [])
        plan.append(entry)
    return plan


# --- milestones -----------------------------------------------------------------------------


def review_snapshot(review: Review) -> dict[str, Any]:
    lenses = []
    all_risks: list[str] = []
    for view in review_structure(review):
        rl = view.review_lens
        answers = []
        for pillar in view.pillars:
            for q in pillar.questions:
                a = q.answer
                all_risks.append(a.risk)
                answers.append(
                    {
                        "question_id": q.id,
                        "pillar_id": pillar.id,
                        "title": q.question.title,
                        "selected": list(a.selected),
                        "not_applicable": a.not_applicable,
                        "na_reason": a.na_reason,
                        "notes": a.notes,
                        "risk": a.risk,
                    }
                )
        lenses.append(
            {
                "lens": rl.lens.name,
                "lens_slug": rl.lens.slug,
                "version": rl.lens_version.number,
                "answers": answers,
                "counts": view.counts.counts,
            }
        )
    return {
        "taken_at": timezone.now().isoformat(),
        "status": review.status,
        "lenses": lenses,
        "counts": RiskCounts.of(all_risks).counts,
    }


def milestone_compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two snapshots: answers and risks per question, and risk counts."""

    def index(snapshot: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (lens["lens_slug"], a["question_id"]): {**a, "lens": lens["lens"]}
            for lens in snapshot["lenses"]
            for a in lens["answers"]
        }

    old, new = index(before), index(after)
    changes = []
    for key in [*old.keys(), *[k for k in new if k not in old]]:
        a, b = old.get(key), new.get(key)
        if (
            a
            and b
            and (a["selected"], a["not_applicable"], a["risk"]) == (b["selected"], b["not_applicable"], b["risk"])
        ):
            continue
        ref = b or a
        changes.append(
            {
                "lens": ref["lens"],  # type: ignore[index]
                "question_id": key[1],
                "title": ref["title"],  # type: ignore[index]
                "kind": "added" if a is None else "removed" if b is None else "changed",
                "risk_before": a["risk"] if a else None,
                "risk_after": b["risk"] if b else None,
                "selected_before": a["selected"] if a else [],
                "selected_after": b["selected"] if b else [],
                "risk_changed": (a or {}).get("risk") != (b or {}).get("risk"),
            }
        )
    return {"counts_before": before["counts"], "counts_after": after["counts"], "changes": changes}


# --- launch decision ------------------------------------------------------------------------


def active_acceptance_q():  # type: ignore[no-untyped-def]
    return Exists(RiskAcceptance.objects.filter(answer=OuterRef("pk"), expires_at__gt=timezone.now()))


def launch_blockers(review: Review) -> list[Answer]:
    """Open high risks without an acceptance that is still valid."""
    return list(
        Answer.objects.filter(review=review, risk=Risk.HIGH)
        .annotate(accepted=active_acceptance_q())
        .filter(accepted=False)
        .order_by("review_lens__position", "position")
    )


def accepted_until(review: Review) -> dict[int, Any]:
    """{answer id: latest expiry} of the review's acceptances that are still valid (one query)."""
    rows = RiskAcceptance.objects.filter(review=review, expires_at__gt=timezone.now()).values_list(
        "answer_id", "expires_at"
    )
    out: dict[int, Any] = {}
    for answer_id, expires_at in rows:
        out[answer_id] = max(expires_at, out.get(answer_id, expires_at))
    return out


def tier_policy(system: System) -> TierPolicy:
    policy = TierPolicy.objects.filter(tier=system.tier).first()
    if policy is None:
        days, external = TIER_DEFAULTS.get(system.tier, (365, True))
        policy = TierPolicy(tier=system.tier, review_interval_days=days, requires_external_signoff=external)
    return policy


def required_signoff_roles(system: System) -> set[str]:
    roles = {Decision.Role.LEAD.value}
    if tier_policy(system).requires_external_signoff:
        roles.add(Decision.Role.EXTERNAL.value)
    return roles


def current_signoff_roles(review: Review) -> set[str]:
    """Roles that signed off since the latest launch request."""
    request = review.decisions.filter(kind=Decision.Kind.REQUESTED).order_by("-created_at", "-id").first()
    if request is None:
        return set()
    return set(review.decisions.filter(kind=Decision.Kind.SIGNED_OFF, id__gt=request.id).values_list("role", flat=True))


# --- cadence --------------------------------------------------------------------------------


@dataclass
class Cadence:
    interval_days: int
    last_approved: Review | None
    next_due: date
    latest: Review | None
    latest_counts: RiskCounts | None

    @property
    def overdue(self) -> bool:
        return self.next_due < timezone.localdate()

    @property
    def days_left(self) -> int:
        return (self.next_due - timezone.localdate()).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def service_cadence(system: System) -> Cadence:
    """Next review due = last approval (or, never reviewed, the service's creation) + the tier's interval."""
    policy = tier_policy(system)
    last = system.reviews.filter(status=Review.Status.APPROVED).order_by("-approved_at").first()
    start = last.approved_at if last and last.approved_at else system.created_at
    latest = system.reviews.order_by("-created_at").first()
    return Cadence(
        interval_days=policy.review_interval_days,
        last_approved=last,
        next_due=timezone.localdate(start) + timedelta(days=policy.review_interval_days),
        latest=latest,
        latest_counts=review_counts(latest) if latest else None,
    )


def builtin_version() -> LensVersion:
    """Newest version of the built-in lens (created on first use if a flush removed it)."""
    from reviews.defaults import ensure_builtin_lens

    return latest_version(ensure_builtin_lens())


@dataclass
class Rollup:
    review: RiskCounts
    lenses: dict[int, RiskCounts]
    pillars: dict[tuple[int, str], RiskCounts]


def review_rollup(review: Review) -> Rollup:
    """Counts per review, per lens and per pillar in one query (for live updates after an answer)."""
    rows = (
        Answer.objects.filter(review=review)
        .values("review_lens_id", "pillar_id", "risk")
        .annotate(n=Count("id"))
        .order_by()
    )
    total: Counter = Counter()
    lenses: dict[int, Counter] = {}
    pillars: dict[tuple[int, str], Counter] = {}
    for row in rows:
        total[row["risk"]] += row["n"]
        lenses.setdefault(row["review_lens_id"], Counter())[row["risk"]] += row["n"]
        pillars.setdefault((row["review_lens_id"], row["pillar_id"]), Counter())[row["risk"]] += row["n"]
    return Rollup(
        review=RiskCounts.of(total),
        lenses={k: RiskCounts.of(v) for k, v in lenses.items()},
        pillars={k: RiskCounts.of(v) for k, v in pillars.items()},
    )


def team_people(review: Review) -> QuerySet[User]:
    """People who can own the review's follow-ups: its team's members."""
    return User.objects.filter(memberships__team_id=review.team_id, is_active=True).order_by("username")
