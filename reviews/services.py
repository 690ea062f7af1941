"""Writes for lenses and readiness reviews. Callers check permissions first (views, viewsets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from incidents.models import ActionItem
from incidents.services import action_item_create
from opsx.services import model_update
from reviews import lensfile, selectors
from reviews.lens_cache import lens_of, questions_by_id
from reviews.lensfile import Question
from reviews.models import (
    Answer,
    Decision,
    FailureScenario,
    GameDay,
    GameDayFinding,
    Lens,
    LensUpgrade,
    LensVersion,
    Milestone,
    Review,
    ReviewLens,
    Risk,
    RiskAcceptance,
)
from teams import permissions
from teams.models import System, User
from teams.permissions import TeamRole

RISK_FROM_LENS = {
    lensfile.Risk.HIGH_RISK: Risk.HIGH,
    lensfile.Risk.MEDIUM_RISK: Risk.MEDIUM,
    lensfile.Risk.NO_RISK: Risk.NONE,
}


class StaleAnswer(Exception):  # noqa: N818 - reads better at the call sites than StaleAnswerError
    """The answer changed since the caller read it; `current` is the newer answer."""

    def __init__(self, current: Answer) -> None:
        super().__init__(f"answer {current.pk} is at version {current.version}")
        self.current = current


class ReviewStateError(Exception):
    """The review is not in a state that allows this (e.g. sign-off while high risks are open)."""


# --- lenses ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    lens: Lens
    version: LensVersion
    outcome: str  # "created", "new version" or "unchanged"
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.outcome}: {self.lens.name} v{self.version.number}"


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "lens"
    slug, n = base, 2
    while Lens.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def lens_import(
    *,
    data: str | bytes,
    actor: User | None,
    filename: str | None = None,
    fmt: lensfile.Format | None = None,
    builtin: bool = False,
) -> ImportResult:
    """Import a lens file. Raises `lensfile.LensFormatError` (nothing saved) when the file is invalid.

    A new name creates a lens; a changed lens under a known name adds a version; a lens identical to
    the latest version (same fingerprint) changes nothing.
    """
    parsed, issues = lensfile.load_with_warnings(data, filename=filename, fmt=fmt)
    warnings = [str(issue) for issue in issues]
    fingerprint = parsed.fingerprint()
    lens = Lens.objects.select_for_update().filter(name=parsed.name).first()
    if lens is None:
        lens = Lens(name=parsed.name, slug=_unique_slug(parsed.name), description=parsed.description, builtin=builtin)
        lens.full_clean()
        lens.save()
        outcome, number = "created", 1
    else:
        latest = lens.versions.order_by("-number").first()
        if latest is not None and latest.fingerprint == fingerprint:
            return ImportResult(lens=lens, version=latest, outcome="unchanged", warnings=warnings)
        outcome, number = "new version", (latest.number + 1 if latest else 1)
        if lens.description != parsed.description:
            lens.description = parsed.description
            lens.save(update_fields=["description", "updated_at"])
    version = LensVersion(
        lens=lens,
        number=number,
        version_label=parsed.version_label or "",
        fingerprint=fingerprint,
        document=parsed.to_dict(),
        source_yaml=lensfile.dump(parsed, fmt="yaml"),
        question_count=len(parsed.questions()),
        imported_by=actor,
    )
    version.full_clean()
    version.save()
    return ImportResult(lens=lens, version=version, outcome=outcome, warnings=warnings)


def lens_import_builtin() -> ImportResult:
    """Load (or refresh) the built-in Operational Readiness lens. Idempotent."""
    path = lensfile.builtin_lens_path()
    return lens_import(data=path.read_text(encoding="utf-8"), actor=None, filename=path.name, builtin=True)


def lens_export(*, version: LensVersion, fmt: lensfile.Format) -> str:
    return lensfile.dump(lens_of(version), fmt=fmt)


# --- reviews --------------------------------------------------------------------------------


def _answer_rows(review: Review, review_lens: ReviewLens) -> list[Answer]:
    lens = lens_of(review_lens.lens_version)
    rows = []
    position = 0
    for pillar in lens.pillars:
        for question in pillar.questions:
            rows.append(
                Answer(
                    review=review,
                    review_lens=review_lens,
                    pillar_id=pillar.id,
                    question_id=question.id,
                    position=position,
                )
            )
            position += 1
    return rows


@transaction.atomic
def review_create(*, actor: User | None, system: System, title: str, lens_versions: list[LensVersion]) -> Review:
    if not lens_versions:
        raise ValidationError({"lenses": "Pick at least one lens."})
    if len({v.lens_id for v in lens_versions}) != len(lens_versions):
        raise ValidationError({"lenses": "Pick each lens once."})
    review = Review(title=title, system=system, team_id=system.team_id, created_by=actor)
    review.full_clean()
    review.save()
    answers: list[Answer] = []
    for position, version in enumerate(lens_versions):
        review_lens = ReviewLens(review=review, lens_id=version.lens_id, lens_version=version, position=position)
        review_lens.full_clean()
        review_lens.save()
        answers.extend(_answer_rows(review, review_lens))
    Answer.objects.bulk_create(answers)
    return review


@transaction.atomic
def review_update(*, review: Review, title: str) -> Review:
    review.title = title
    review.full_clean()
    review.save(update_fields=["title", "updated_at"])
    return review


def question_risk(question: Question, selected: list[str], not_applicable: bool) -> str:
    if not_applicable:
        return Risk.NOT_APPLICABLE
    if not selected:
        return Risk.UNANSWERED
    return RISK_FROM_LENS[lensfile.evaluate(question, selected)]


def _check_selection(question: Question, selected: list[str]) -> list[str]:
    known = question.choice_ids()
    unknown = [c for c in selected if c not in known]
    if unknown:
        raise ValidationError({"selected": f"Unknown choice id(s) for {question.id}: {', '.join(unknown)}."})
    none_ids = {c.id for c in question.choices if c.is_none_of_these}
    if len(set(selected)) > 1 and none_ids & set(selected):
        raise ValidationError({"selected": "“None of these” cannot be combined with other choices."})
    # Keep the lens's order so that equal selections compare equal.
    return [c for c in known if c in set(selected)]


@transaction.atomic
def answer_update(
    *,
    answer: Answer,
    actor: User,
    version: int,
    selected: list[str],
    not_applicable: bool = False,
    na_reason: str = "",
    notes: str = "",
    evidence_links: list[str] | None = None,
) -> Answer:
    """Save an answer if it is still at `version` (conditional UPDATE); raises StaleAnswer otherwise."""
    if Review.objects.filter(pk=answer.review_id, status=Review.Status.APPROVED).exists():
        raise ReviewStateError("This review is approved, so its answers are frozen; start a new review instead.")
    question = questions_by_id(answer.review_lens.lens_version)[answer.question_id]
    selected = _check_selection(question, list(selected))
    if not_applicable:
        selected = []
    candidate = Answer(
        pk=answer.pk,
        review_id=answer.review_id,
        review_lens_id=answer.review_lens_id,
        pillar_id=answer.pillar_id,
        question_id=answer.question_id,
        selected=selected,
        not_applicable=not_applicable,
        na_reason=na_reason.strip() if not_applicable else "",
        notes=notes,
        evidence_links=list(evidence_links or []),
        risk=question_risk(question, selected, not_applicable),
    )
    candidate.full_clean(exclude=["review", "review_lens"], validate_unique=False, validate_constraints=False)
    now = timezone.now()
    updated = Answer.objects.filter(pk=answer.pk, version=version).update(
        selected=candidate.selected,
        not_applicable=candidate.not_applicable,
        na_reason=candidate.na_reason,
        notes=candidate.notes,
        evidence_links=candidate.evidence_links,
        risk=candidate.risk,
        updated_by=actor,
        updated_at=now,
        version=F("version") + 1,
    )
    fresh = Answer.objects.select_related("review_lens__lens_version", "updated_by").get(pk=answer.pk)
    if updated != 1:
        raise StaleAnswer(fresh)
    return fresh


# --- improvement plan -----------------------------------------------------------------------


@transaction.atomic
def plan_item_to_action(
    *,
    answer: Answer,
    actor: User,
    owner: User | None = None,
    due_date: date | None = None,
    title: str = "",
    priority: str | None = None,
) -> ActionItem:
    """Turn an improvement-plan item (an answer at risk) into an action item for the review's team."""
    if answer.risk not in (Risk.HIGH, Risk.MEDIUM):
        raise ValidationError({"answer": "Only questions at risk have an improvement plan item."})
    defaults = selectors.plan_item_action_defaults(answer)
    return action_item_create(
        actor=actor,
        team=answer.review.team,
        title=title or defaults["title"],
        description=defaults["description"],
        owner=owner,
        priority=priority or defaults["priority"],
        due_date=due_date,
        source=answer,
    )


# --- milestones -----------------------------------------------------------------------------


@transaction.atomic
def milestone_create(*, review: Review, actor: User, name: str) -> Milestone:
    if Milestone.objects.filter(review=review, name=name).exists():
        raise ValidationError({"name": "This review already has a milestone with that name."})
    milestone = Milestone(review=review, name=name, snapshot=selectors.review_snapshot(review), created_by=actor)
    milestone.full_clean()
    milestone.save()
    return milestone


# --- lens upgrade ---------------------------------------------------------------------------


@transaction.atomic
def review_lens_upgrade(*, review_lens: ReviewLens, actor: User, to_version: LensVersion | None = None) -> LensUpgrade:
    """Move a review to a newer version of one of its lenses.

    Answers to questions whose id is unchanged carry over (choice ids the new version no longer has are
    dropped, and the risk is evaluated again under the new rules); new questions start unanswered;
    answers to removed questions go (milestones keep them).
    """
    review_lens = ReviewLens.objects.select_for_update().select_related("lens_version", "review").get(pk=review_lens.pk)
    if review_lens.review.status == Review.Status.APPROVED:
        raise ReviewStateError("This review is approved; start a new review to use the newer lens.")
    current = review_lens.lens_version
    target = to_version or LensVersion.objects.filter(lens_id=review_lens.lens_id).order_by("-number").first()
    if target is None or target.lens_id != review_lens.lens_id or target.number <= current.number:
        raise ReviewStateError("There is no newer version of this lens to upgrade to.")
    old_questions = questions_by_id(current)
    new_lens = lens_of(target)
    existing = {a.question_id: a for a in review_lens.answers.all()}
    changes: dict[str, Any] = {"added": [], "removed": [], "changed": [], "dropped_choices": {}, "risk_changed": []}
    to_update: list[Answer] = []
    to_create: list[Answer] = []
    position = 0
    for pillar in new_lens.pillars:
        for question in pillar.questions:
            answer = existing.pop(question.id, None)
            if answer is None:
                changes["added"].append(question.id)
                to_create.append(
                    Answer(
                        review_id=review_lens.review_id,
                        review_lens=review_lens,
                        pillar_id=pillar.id,
                        question_id=question.id,
                        position=position,
                    )
                )
            else:
                if old_questions[question.id].to_dict() != question.to_dict():
                    changes["changed"].append(question.id)
                known = set(question.choice_ids())
                dropped = [c for c in answer.selected if c not in known]
                if dropped:
                    changes["dropped_choices"][question.id] = dropped
                answer.selected = [c for c in question.choice_ids() if c in set(answer.selected)]
                new_risk = question_risk(question, answer.selected, answer.not_applicable)
                if new_risk != answer.risk:
                    changes["risk_changed"].append(
                        {"question_id": question.id, "before": answer.risk, "after": new_risk}
                    )
                answer.risk = new_risk
                answer.pillar_id = pillar.id
                answer.position = position
                answer.version += 1
                to_update.append(answer)
            position += 1
    changes["removed"] = sorted(existing)
    Answer.objects.filter(pk__in=[a.pk for a in existing.values()]).delete()
    Answer.objects.bulk_update(to_update, ["selected", "risk", "pillar_id", "position", "version"])
    Answer.objects.bulk_create(to_create)
    review_lens.lens_version = target
    review_lens.save(update_fields=["lens_version"])
    upgrade = LensUpgrade(
        review_lens=review_lens, from_version=current, to_version=target, changes=changes, actor=actor
    )
    upgrade.full_clean()
    upgrade.save()
    return upgrade


# --- launch decision ------------------------------------------------------------------------


@transaction.atomic
def review_request_launch(*, review: Review, actor: User, note: str = "") -> Decision:
    updated = Review.objects.filter(pk=review.pk, status=Review.Status.DRAFT).update(
        status=Review.Status.REQUESTED, requested_at=timezone.now()
    )
    if updated != 1:
        raise ReviewStateError("Only a review in progress can be put forward for launch.")
    review.refresh_from_db()
    return _decide(review=review, kind=Decision.Kind.REQUESTED, actor=actor, note=note)


@transaction.atomic
def review_withdraw_launch(*, review: Review, actor: User, note: str = "") -> Decision:
    updated = Review.objects.filter(pk=review.pk, status=Review.Status.REQUESTED).update(
        status=Review.Status.DRAFT, requested_at=None
    )
    if updated != 1:
        raise ReviewStateError("There is no open launch request to withdraw.")
    review.refresh_from_db()
    return _decide(review=review, kind=Decision.Kind.WITHDRAWN, actor=actor, note=note)


def _decide(*, review: Review, kind: str, actor: User, role: str = "", note: str = "") -> Decision:
    decision = Decision(review=review, kind=kind, role=role, actor=actor, note=note.strip())
    decision.full_clean()
    decision.save()
    return decision


def signoff_role(*, review: Review, user: User) -> str | None:
    """The role in which `user` may sign off `review`: its team's lead, or a lead from outside the team.

    Admins who are not in the team sign off as outside reviewers. Members of the team who are not its
    lead, and people who lead no team, cannot sign off.
    """
    roles = permissions.team_roles(user)
    if roles.get(review.team_id) == TeamRole.LEAD:
        return Decision.Role.LEAD
    if review.team_id in roles:
        return None
    if permissions.is_admin(user) or TeamRole.LEAD in roles.values():
        return Decision.Role.EXTERNAL
    return None


@transaction.atomic
def review_sign_off(*, review: Review, actor: User, note: str = "") -> Decision:
    """Record a sign-off; when the last required one arrives and nothing blocks, approve the review."""
    review = Review.objects.select_for_update().select_related("system").get(pk=review.pk)
    if review.status != Review.Status.REQUESTED:
        raise ReviewStateError("Sign-off needs an open launch request.")
    role = signoff_role(review=review, user=actor)
    if role is None:
        raise PermissionDenied("Only the team's lead or a lead from another team can sign off.")
    blockers = selectors.launch_blockers(review)
    if blockers:
        ids = ", ".join(a.question_id for a in blockers)
        raise ReviewStateError(f"Open high risks block the launch until they are fixed or accepted: {ids}.")
    have = selectors.current_signoff_roles(review)
    if role in have:
        raise ReviewStateError(f"This launch request already has a sign-off as {Decision.Role(role).label.lower()}.")
    decision = _decide(review=review, kind=Decision.Kind.SIGNED_OFF, role=role, actor=actor, note=note)
    have.add(role)
    if selectors.required_signoff_roles(review.system) <= have:
        Review.objects.filter(pk=review.pk, status=Review.Status.REQUESTED).update(
            status=Review.Status.APPROVED, approved_at=timezone.now()
        )
        _decide(review=review, kind=Decision.Kind.APPROVED, actor=actor, note="All required sign-offs are in.")
    return decision


@transaction.atomic
def risk_accept(*, answer: Answer, actor: User, reason: str, expires_at: datetime) -> RiskAcceptance:
    if answer.risk != Risk.HIGH:
        raise ValidationError({"answer": "Only a high risk needs accepting."})
    acceptance = RiskAcceptance(
        answer=answer, review_id=answer.review_id, reason=reason.strip(), accepted_by=actor, expires_at=expires_at
    )
    acceptance.full_clean()
    acceptance.save()
    return acceptance


# --- pre-mortems and game days --------------------------------------------------------------


@transaction.atomic
def scenario_create(*, review: Review, actor: User, **data: Any) -> FailureScenario:
    scenario = FailureScenario(review=review, **data)
    scenario.full_clean()
    scenario.save()
    return scenario


@transaction.atomic
def game_day_create(*, review: Review, actor: User, **data: Any) -> GameDay:
    game_day = GameDay(review=review, **data)
    game_day.full_clean()
    game_day.save()
    return game_day


@transaction.atomic
def finding_create(*, game_day: GameDay, actor: User, description: str) -> GameDayFinding:
    finding = GameDayFinding(game_day=game_day, description=description.strip(), created_by=actor)
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def finding_to_action(
    *, finding: GameDayFinding, actor: User, owner: User | None = None, due_date: date | None = None, title: str = ""
) -> ActionItem:
    defaults = selectors.finding_action_defaults(finding)
    return action_item_create(
        actor=actor,
        team=finding.game_day.review.team,
        title=title or defaults["title"],
        description=defaults["description"],
        owner=owner,
        due_date=due_date,
        priority=defaults["priority"],
        source=finding,
    )


SCENARIO_FIELDS = ["title", "description", "likelihood", "impact", "mitigation", "owner"]
GAME_DAY_FIELDS = ["title", "held_on", "scenario", "participants", "outcome", "summary"]


@transaction.atomic
def scenario_update(*, scenario: FailureScenario, data: dict[str, Any]) -> FailureScenario:
    scenario, _ = model_update(instance=scenario, fields=SCENARIO_FIELDS, data=data)
    return scenario


@transaction.atomic
def game_day_update(*, game_day: GameDay, data: dict[str, Any]) -> GameDay:
    game_day, _ = model_update(instance=game_day, fields=GAME_DAY_FIELDS, data=data)
    return game_day
