"""Writes for lenses and readiness reviews. Callers check permissions first (views, viewsets); the launch
decision services also check who may act themselves.

A lapsed risk acceptance reopens an approved launch. Reads show that at once (`Review.launch_status`);
`review_reopen_lapsed` records it (status, a decision by opsx, the notification hook) and is run by the
beat sweep and, first thing, by every launch-decision or answer write on an approved review, so a write
never acts on an approval that no longer stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator, slugify

from incidents.models import ActionItem
from incidents.services import action_item_create
from notifications.models import Notification
from notifications.services import notify
from opsx import hooks
from opsx.markdown import html_values
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
from teams.permissions import Action, TeamRole

question_risk = selectors.question_risk


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
    strict: bool = False,
) -> ImportResult:
    """Import a lens file. Raises `lensfile.LensFormatError` (nothing saved) when the file is invalid.

    A new name creates a lens; a changed lens under a known name adds a version; a lens identical to
    the latest version (same fingerprint) changes nothing. What the reader repaired comes back as
    `warnings`, one line each; with `strict`, a file that needs any repair is refused instead.
    `actor=None` is the system (commands, the built-in lens); a person needs `can_import_lens`.
    """
    if actor is not None and not selectors.can_import_lens(actor):
        raise PermissionDenied("Only admins and team leads import lenses.")
    parsed, issues = lensfile.load_with_warnings(data, filename=filename, fmt=fmt, strict=strict)
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
    version: int | None,
    selected: list[str],
    not_applicable: bool = False,
    na_reason: str = "",
    notes: str = "",
    evidence_links: list[str] | None = None,
) -> Answer:
    """Save an answer if it is still at `version` (conditional UPDATE); raises StaleAnswer otherwise.

    `version` None means any version (`If-Match: *`): the row is locked and saved over.
    """
    if version is None:
        version = Answer.objects.select_for_update().values_list("version", flat=True).get(pk=answer.pk)
    if _settled_status(answer.review_id) == Review.Status.APPROVED:
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
        markdown_html=answer.markdown_html,  # unchanged notes keep their stored HTML
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
        **html_values(candidate),
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
    """Move a review to a newer version of one of its lenses (the newest unless `to_version` is given).

    Does what `selectors.upgrade_preview` shows: answers to questions whose id is unchanged carry over
    (choice ids the new version no longer has are dropped, and the risk is evaluated again under the
    new rules); new questions start unanswered; answers to removed questions go (milestones keep them).
    """
    review_lens = ReviewLens.objects.select_for_update().select_related("lens_version", "review").get(pk=review_lens.pk)
    permissions.check(actor, Action.CHANGE, review_lens.review)
    if _settled_status(review_lens.review_id) == Review.Status.APPROVED:
        raise ReviewStateError("This review is approved; start a new review to use the newer lens.")
    current = review_lens.lens_version
    target = to_version or LensVersion.objects.filter(lens_id=review_lens.lens_id).order_by("-number").first()
    if target is None or target.lens_id != review_lens.lens_id or target.number <= current.number:
        raise ReviewStateError("There is no newer version of this lens to upgrade to.")
    preview = selectors.upgrade_preview(review_lens=review_lens, target=target)
    kept = {c.answer.question_id: c for c in preview.carried}
    to_update: list[Answer] = []
    to_create: list[Answer] = []
    position = 0
    for pillar in lens_of(target).pillars:
        for question in pillar.questions:
            carried = kept.get(question.id)
            if carried is None:
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
                answer = carried.answer
                answer.selected = carried.selected_after
                answer.risk = carried.risk_after
                answer.pillar_id = pillar.id
                answer.position = position
                answer.version += 1
                to_update.append(answer)
            position += 1
    gone = [a.pk for a in review_lens.answers.all() if a.question_id not in kept]
    Answer.objects.filter(pk__in=gone).delete()
    Answer.objects.bulk_update(to_update, ["selected", "risk", "pillar_id", "position", "version"])
    Answer.objects.bulk_create(to_create)
    review_lens.lens_version = target
    review_lens.save(update_fields=["lens_version"])
    upgrade = LensUpgrade(
        review_lens=review_lens, from_version=current, to_version=target, changes=preview.changes(), actor=actor
    )
    upgrade.full_clean()
    upgrade.save()
    return upgrade


# --- launch decision ------------------------------------------------------------------------


@transaction.atomic
def review_request_launch(*, review: Review, actor: User, note: str = "") -> Decision:
    permissions.check(actor, Action.CHANGE, review)
    updated = Review.objects.filter(pk=review.pk, status=Review.Status.DRAFT).update(
        status=Review.Status.REQUESTED, requested_at=timezone.now()
    )
    if updated != 1:
        raise ReviewStateError("Only a review in progress can be put forward for launch.")
    review.refresh_from_db()
    decision = _decide(review=review, kind=Decision.Kind.REQUESTED, actor=actor, note=note)
    _tell_signoff_requested(review, actor)
    return decision


def _tell_signoff_requested(review: Review, actor: User) -> None:
    """The team's leads sign off a launch request: they are asked (the requester is not told)."""
    leads = User.objects.filter(memberships__team_id=review.team_id, memberships__role=TeamRole.LEAD)
    notify(
        recipients=leads,
        kind=Notification.Kind.SIGNOFF_REQUESTED,
        subject=review,
        text=f"{actor.display_name} asks for your sign-off on “{Truncator(review.title).chars(120)}”",
        link=review.get_absolute_url(),
        actor=actor,
    )


@transaction.atomic
def review_withdraw_launch(*, review: Review, actor: User, note: str = "") -> Decision:
    permissions.check(actor, Action.CHANGE, review)
    _settled_status(review.pk)
    updated = Review.objects.filter(pk=review.pk, status__in=Review.AWAITING_SIGNOFF).update(
        status=Review.Status.DRAFT, requested_at=None
    )
    if updated != 1:
        raise ReviewStateError("There is no open launch request to withdraw.")
    review.refresh_from_db()
    return _decide(review=review, kind=Decision.Kind.WITHDRAWN, actor=actor, note=note)


def _decide(*, review: Review, kind: str, actor: User | None, role: str = "", note: str = "") -> Decision:
    decision = Decision(review=review, kind=kind, role=role, actor=actor, note=note.strip())
    decision.full_clean()
    decision.save()
    return decision


def _signoff(*, review: Review, user: User) -> tuple[str | None, str]:
    """(role, "") when `user` may sign off `review`, else (None, the reason): the one source of that reason."""
    roles = permissions.team_roles(user)
    team = review.team.name
    if roles.get(review.team_id) == TeamRole.LEAD:
        return Decision.Role.LEAD, ""
    if review.team_id in roles:
        return None, (
            f"You are a member of {team} but not its lead: the team's lead signs off for {team}, "
            "and outside sign-offs come from leads of other teams."
        )
    if permissions.is_admin(user) or TeamRole.LEAD in roles.values():
        return Decision.Role.EXTERNAL, ""
    return None, (f"Only the lead of {team}, a lead of another team or an admin can sign off; you lead no team.")


def signoff_role(*, review: Review, user: User) -> str | None:
    """The role in which `user` may sign off `review`: its team's lead, or a lead from outside the team.

    Admins who are not in the team sign off as outside reviewers. Members of the team who are not its
    lead, and people who lead no team, cannot sign off.
    """
    return _signoff(review=review, user=user)[0]


def signoff_refusal(*, review: Review, user: User) -> str:
    """Why `user` may not sign off `review` ("" when they may); the page shows it and the API's 403 carries it."""
    return _signoff(review=review, user=user)[1]


@transaction.atomic
def review_sign_off(*, review: Review, actor: User, note: str = "") -> Decision:
    """Record a sign-off; when the last required one arrives and nothing blocks, approve the review."""
    _settled_status(review.pk)
    review = Review.objects.select_for_update().select_related("system", "team").get(pk=review.pk)
    if review.status not in Review.AWAITING_SIGNOFF:
        raise ReviewStateError("Sign-off needs an open launch request.")
    role, refusal = _signoff(review=review, user=actor)
    if role is None:
        raise PermissionDenied(refusal)
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
        Review.objects.filter(pk=review.pk, status__in=Review.AWAITING_SIGNOFF).update(
            status=Review.Status.APPROVED, approved_at=timezone.now()
        )
        _decide(review=review, kind=Decision.Kind.APPROVED, actor=actor, note="All required sign-offs are in.")
    return decision


@transaction.atomic
def risk_accept(*, answer: Answer, actor: User, reason: str, expires_at: datetime) -> RiskAcceptance:
    """Accept a high risk until `expires_at` (the team's lead). On an approval whose earlier acceptance has
    lapsed, the reopening is recorded first: a new acceptance does not restore the approval by itself."""
    permissions.check(actor, Action.APPROVE, answer.review)
    _settled_status(answer.review_id)
    if answer.risk != Risk.HIGH:
        raise ValidationError({"answer": "Only a high risk needs accepting."})
    acceptance = RiskAcceptance(
        answer=answer, review_id=answer.review_id, reason=reason.strip(), accepted_by=actor, expires_at=expires_at
    )
    acceptance.full_clean()
    acceptance.save()
    return acceptance


# --- lapsed acceptances ---------------------------------------------------------------------


def _settled_status(review_id: int) -> str:
    """The review's stored status after recording a lapse that reopened it, if one is pending."""
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        return ""
    if review.status == Review.Status.APPROVED:
        review_reopen_lapsed(review=review)
        review.refresh_from_db(fields=["status"])
    return review.status


def _lapse_note(lapsed: list[selectors.LapsedRisk]) -> str:
    parts = [
        f"{item.title} ({item.answer.question_id}), accepted by {item.acceptance.accepted_by} "
        f"until {timezone.localtime(item.lapsed_at):%Y-%m-%d %H:%M}"
        for item in lapsed
    ]
    return "The risk acceptance lapsed: " + "; ".join(parts) + ". Accept or fix the risk, then sign off again."


@transaction.atomic
def review_reopen_lapsed(*, review: Review) -> Decision | None:
    """Reopen an approved launch whose accepted high risk has lapsed, once; opsx is the actor.

    The review row is locked first, then every lapsed acceptance not yet handled is claimed with a
    conditional UPDATE of its `lapse_recorded_at`; the reopening itself is the conditional UPDATE
    approved → reopened. So two sweeps running at once, or a sweep and a write settling the same review,
    record a lapse once. When the review is approved and a lapse leaves a high risk without a valid
    acceptance, the review moves to "reopened" (a new round of sign-offs), a `Decision` of kind reopened is
    appended with no actor, and `notify_launch_reopened` runs. A lapse that reopens nothing (the review was
    not approved, or a newer acceptance covers the risk) is only marked. Returns the decision, or None when
    this call recorded none.
    """
    review = Review.objects.select_for_update().select_related("team").get(pk=review.pk)
    now = timezone.now()
    pending = RiskAcceptance.objects.filter(review=review, expires_at__lte=now, lapse_recorded_at__isnull=True)
    for acc_id in pending.values_list("pk", flat=True):
        RiskAcceptance.objects.filter(pk=acc_id, lapse_recorded_at__isnull=True).update(lapse_recorded_at=now)
    if review.status != Review.Status.APPROVED:
        return None
    lapsed = selectors.lapsed_risks(review)
    if not lapsed:
        return None
    updated = Review.objects.filter(pk=review.pk, status=Review.Status.APPROVED).update(
        status=Review.Status.REOPENED, requested_at=now
    )
    if updated != 1:
        return None
    review.refresh_from_db()
    decision = _decide(review=review, kind=Decision.Kind.REOPENED, actor=None, note=_lapse_note(lapsed))
    notify_launch_reopened(review=review, decision=decision, lapsed=lapsed)
    return decision


def notify_launch_reopened(*, review: Review, decision: Decision, lapsed: list[selectors.LapsedRisk]) -> None:
    """HOOK POINT for the notification that a launch was reopened (in-app now; email and chat later).

    Notifications are being added by another change; until then this only emits the `launch_reopened`
    hook. Its receiver (registered from the notifications app's `ready()`) should tell the review's team
    lead(s) and whoever signed off the approval that just lapsed. It runs inside the reopening's
    transaction (see opsx.hooks), exactly once per reopening; send anything slow with on_commit.
    """
    hooks.emit("launch_reopened", review=review, decision=decision, lapsed=lapsed)


def risk_acceptance_sweep_lapses() -> list[Decision]:
    """Handle every lapsed acceptance not yet handled; returns the reopenings recorded (the beat task).

    Each review is settled in its own transaction, so one failure does not undo the others.
    """
    review_ids = sorted(
        set(
            RiskAcceptance.objects.filter(expires_at__lte=timezone.now(), lapse_recorded_at__isnull=True).values_list(
                "review_id", flat=True
            )
        )
    )
    decisions = []
    for review in Review.objects.filter(pk__in=review_ids).order_by("pk"):
        decision = review_reopen_lapsed(review=review)
        if decision is not None:
            decisions.append(decision)
    return decisions


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
