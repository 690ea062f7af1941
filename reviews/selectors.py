"""Reads for lenses and reviews, scoped to a user where they return querysets.

The review page needs a fixed number of queries whatever the lens size: one for the review's
lenses (with their stored versions), one for its answers, one for the active risk acceptances.
The lens content comes from the in-memory cache in `reviews.lens_cache`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from incidents.models import ActionItem
from reviews import lensfile
from reviews.defaults import TIER_DEFAULTS
from reviews.lens_cache import lens_of, questions_by_id
from reviews.lensfile import Choice, Question
from reviews.lensfile.diff import ChoiceRef, LensDiff, QuestionChange, QuestionRef
from reviews.models import (
    RISK_ORDER,
    Answer,
    Decision,
    GameDay,
    GameDayFinding,
    Lens,
    LensVersion,
    Milestone,
    Review,
    ReviewLens,
    Risk,
    RiskAcceptance,
    TierPolicy,
    unaccepted_high_risks,
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
        .with_launch_status()
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
                        "evidence_links": list(a.evidence_links),
                        "risk": a.risk,
                        # The notes' stored HTML, so the milestone page renders nothing (not in the API).
                        **({"markdown_html": a.markdown_html} if a.notes else {}),
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
        "status": review.launch_status.value,
        "lenses": lenses,
        "counts": RiskCounts.of(all_risks).counts,
    }


def _risk_label(risk: str | None) -> str:
    return Risk(risk).label if risk in Risk.values else (risk or "")


def _choice_titles(snapshots: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, dict[str, str]]]:
    """{(lens slug, version number): {question id: {choice id: title}}} for the lens versions the snapshots
    were taken against (one query; versions are immutable, so the titles are the ones answered then)."""
    wanted = {(lens["lens_slug"], lens["version"]) for snap in snapshots for lens in snap["lenses"]}
    if not wanted:
        return {}
    q = Q()
    for slug, number in wanted:
        q |= Q(lens__slug=slug, number=number)
    out: dict[tuple[str, int], dict[str, dict[str, str]]] = {}
    for version in LensVersion.objects.filter(q).select_related("lens"):
        out[(version.lens.slug, version.number)] = {
            qid: {c.id: c.title for c in question.choices} for qid, question in questions_by_id(version).items()
        }
    return out


def _readable_lenses(snapshot: dict[str, Any], titles: dict[tuple[str, int], Any]) -> list[dict[str, Any]]:
    """The snapshot's lenses with each answer's risk label and chosen choices' titles (ids when unknown)."""
    lenses = []
    for lens in snapshot["lenses"]:
        choices = titles.get((lens["lens_slug"], lens["version"]), {})
        answers = []
        for a in lens["answers"]:
            names = choices.get(a["question_id"], {})
            answers.append(
                {
                    **a,
                    "lens": lens["lens"],
                    "risk_label": _risk_label(a["risk"]),
                    "choices": [names.get(c, c) for c in a["selected"]],
                }
            )
        lenses.append({**lens, "answers": answers})
    return lenses


def milestone_view(milestone: Milestone) -> dict[str, Any]:
    """A milestone for reading: status and risk labels, choice titles, notes and evidence."""
    snapshot = milestone.snapshot
    status = snapshot.get("status", "")
    return {
        "milestone": milestone,
        "status_label": Review.Status(status).label if status in Review.Status.values else status,
        "counts": RiskCounts.of(Counter(snapshot["counts"])),
        "lenses": _readable_lenses(snapshot, _choice_titles([snapshot])),
    }


#: What a comparison reports per answer, in display order: (key, label, snapshot fields).
COMPARED_FIELDS = [
    ("risk", "risk", ["risk"]),
    ("choices", "choices", ["selected"]),
    ("not_applicable", "not applicable", ["not_applicable", "na_reason"]),
    ("notes", "notes", ["notes"]),
    ("evidence", "evidence", ["evidence_links"]),
]


def _answer_state(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "risk": answer["risk"],
        "risk_label": answer["risk_label"],
        "selected": answer["selected"],
        "choices": answer["choices"],
        "not_applicable": answer.get("not_applicable", False),
        "na_reason": answer.get("na_reason", ""),
        "notes": answer.get("notes", ""),
        "evidence_links": answer.get("evidence_links"),  # None: not recorded in this snapshot
    }


def milestone_compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two snapshots: every answer field (risk, choices, not applicable, notes,
    evidence) per question, and the risk counts as rows in RISK_ORDER. The page and the API show this.

    Snapshots taken before evidence was recorded have no `evidence_links`; evidence is then not compared
    rather than reported as changed.
    """
    titles = _choice_titles([before, after])

    def index(snapshot: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (lens["lens_slug"], a["question_id"]): a
            for lens in _readable_lenses(snapshot, titles)
            for a in lens["answers"]
        }

    old, new = index(before), index(after)
    changes = []
    for key in [*old.keys(), *[k for k in new if k not in old]]:
        a, b = old.get(key), new.get(key)
        changed = []
        if a and b:
            for name, _label, fields in COMPARED_FIELDS:
                if all(f in a and f in b for f in fields) and any(a[f] != b[f] for f in fields):
                    changed.append(name)
            if not changed:
                continue
        ref: dict[str, Any] = b or a  # type: ignore[assignment]
        changes.append(
            {
                "lens": ref["lens"],
                "question_id": key[1],
                "title": ref["title"],
                "kind": "added" if a is None else "removed" if b is None else "changed",
                "changed": changed,
                "changed_labels": [label for name, label, _ in COMPARED_FIELDS if name in changed],
                "risk_before": a["risk"] if a else None,
                "risk_after": b["risk"] if b else None,
                "risk_changed": (a or {}).get("risk") != (b or {}).get("risk"),
                "selected_before": a["selected"] if a else [],
                "selected_after": b["selected"] if b else [],
                "before": _answer_state(a),
                "after": _answer_state(b),
                "choices_added": [t for t in (b or {}).get("choices", []) if t not in (a or {}).get("choices", [])],
                "choices_removed": [t for t in (a or {}).get("choices", []) if t not in (b or {}).get("choices", [])],
            }
        )
    counts = []
    for risk in RISK_ORDER:
        was, now = before["counts"].get(risk.value, 0), after["counts"].get(risk.value, 0)
        counts.append({"risk": risk.value, "label": risk.label, "before": was, "after": now, "change": now - was})
    return {
        "counts": counts,
        "counts_before": {row["risk"]: row["before"] for row in counts},
        "counts_after": {row["risk"]: row["after"] for row in counts},
        "changes": changes,
    }


def milestone_comparison(
    *, user: User, a: str | int | None, b: str | int | None, review: Review | None = None
) -> dict[str, Any]:
    """Compare milestone `a` (before) with `b` (after), for the milestones page and the API alike.

    Raises ValidationError (fields `a`/`b`) for missing or non-numeric ids and for milestones of different
    reviews (or, with `review`, of another review than the page's); Http404 for ids the user cannot see.
    """
    ids = [str(v if v is not None else "").strip() for v in (a, b)]
    errors = {k: "Give a milestone id." for k, v in zip(("a", "b"), ids, strict=True) if not v.isdigit()}
    if errors:
        raise ValidationError(errors)
    found = {str(m.pk): m for m in Milestone.objects.visible_to(user).filter(pk__in=ids).select_related("review")}
    for pk in ids:
        if pk not in found:
            raise Http404(f"No milestone {pk}.")
    first, second = found[ids[0]], found[ids[1]]
    if review is not None and first.review_id != review.pk:
        raise ValidationError({"a": f"“{first.name}” is a milestone of another review ({first.review})."})
    if first.review_id != second.review_id:
        raise ValidationError(
            {"b": f"Both milestones must belong to the same review; “{second.name}” is from {second.review}."}
        )
    return {"a": first, "b": second, **milestone_compare(first.snapshot, second.snapshot)}


# --- launch decision ------------------------------------------------------------------------


def launch_blockers(review: Review) -> list[Answer]:
    """Open high risks without an acceptance that is still valid."""
    return list(unaccepted_high_risks().filter(review=review).order_by("review_lens__position", "position"))


@dataclass
class LapsedRisk:
    """A high risk that an acceptance let through until it lapsed, and that no valid acceptance covers now."""

    answer: Answer
    title: str
    acceptance: RiskAcceptance  # the one that lapsed last

    @property
    def lapsed_at(self) -> Any:
        return self.acceptance.expires_at


def lapsed_risks(review: Review) -> list[LapsedRisk]:
    """The launch blockers that had been accepted (so their acceptance lapsed), in question order."""
    blockers = (
        unaccepted_high_risks()
        .filter(review=review, acceptances__isnull=False)
        .distinct()
        .select_related("review_lens__lens_version")
        .prefetch_related(Prefetch("acceptances", queryset=RiskAcceptance.objects.select_related("accepted_by")))
        .order_by("review_lens__position", "position")
    )
    out = []
    for answer in blockers:
        last = max(answer.acceptances.all(), key=lambda acc: (acc.expires_at, acc.pk))
        title = questions_by_id(answer.review_lens.lens_version)[answer.question_id].title
        out.append(LapsedRisk(answer=answer, title=title, acceptance=last))
    return out


def pending_reopenings() -> list[Review]:
    """Approved reviews that read as reopened (an accepted risk lapsed) but whose reopening is not recorded yet."""
    return list(
        Review.objects.with_launch_status()
        .filter(status=Review.Status.APPROVED, current_status=Review.Status.REOPENED)
        .select_related("system")
        .order_by("pk")
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
    """Roles that signed off in the current round, whatever the status (one query).

    A round starts with a launch request or a reopening. An approved review keeps the sign-offs that
    approved it; a withdrawn request has none; and an approval that reads as reopened (its accepted risk
    lapsed) has none even before the sweep records the reopening, since it needs signing off again.
    """
    rows = list(review.decisions.order_by("id").values_list("kind", "role", "created_at"))
    round_kind, have, _started = signoff_round(rows)
    if review.launch_status == Review.Status.REOPENED and round_kind != Decision.Kind.REOPENED:
        return set()
    return have


def signoff_round(rows: Iterable[tuple[str, str, Any]]) -> tuple[str | None, set[str], Any]:
    """(kind that started the current round or None, roles signed off in it, when it started) from a
    review's decisions (kind, role, created_at) in order; the one reading of rounds, for one review
    or, in the reminder sweep, for many loaded at once."""
    have: set[str] = set()
    round_kind = None
    started = None
    for kind, role, created_at in rows:
        if kind in Decision.ROUND_STARTS:
            round_kind, have, started = kind, set(), created_at
        elif kind == Decision.Kind.WITHDRAWN:
            round_kind, have, started = None, set(), None
        elif kind == Decision.Kind.SIGNED_OFF and round_kind is not None:
            have.add(role)
    return round_kind, have, started


@dataclass
class HistoryEntry:
    """One line of a review's launch history: a decision, or an acceptance granted or expired."""

    at: Any
    kind: str
    label: str
    actor: User | None
    role: str = ""
    note: str = ""
    question_id: str = ""
    automatic: bool = False  # recorded by opsx itself (no actor)

    @property
    def role_label(self) -> str:
        return Decision.Role(self.role).label.lower() if self.role in Decision.Role.values else self.role


def launch_history(review: Review) -> list[HistoryEntry]:
    """Decisions and risk acceptances (granted, and expired once their date has passed), newest first.

    An expiry is listed when it happens, whether or not the sweep has recorded the reopening yet.
    """
    entries = [
        HistoryEntry(
            at=d.created_at,
            kind=d.kind,
            label=d.get_kind_display(),
            actor=d.actor,
            role=d.role,
            note=d.note,
            automatic=d.actor_id is None,
        )
        for d in review.decisions.select_related("actor")
    ]
    now = timezone.now()
    acceptances = RiskAcceptance.objects.filter(review=review).select_related(
        "accepted_by", "answer__review_lens__lens_version"
    )
    for acc in acceptances:
        answer = acc.answer
        title = questions_by_id(answer.review_lens.lens_version)[answer.question_id].title
        entries.append(
            HistoryEntry(
                at=acc.created_at,
                kind="risk_accepted",
                label=f"Risk accepted until {timezone.localtime(acc.expires_at):%Y-%m-%d}: {title}",
                actor=acc.accepted_by,
                note=acc.reason,
                question_id=answer.question_id,
            )
        )
        if acc.expires_at <= now:
            entries.append(
                HistoryEntry(
                    at=acc.expires_at,
                    kind="acceptance_expired",
                    label=f"Risk acceptance expired: {title}",
                    actor=None,
                    question_id=answer.question_id,
                )
            )
    order = {"acceptance_expired": 0}
    entries.sort(key=lambda e: (e.at, order.get(e.kind, 1)), reverse=True)
    return entries


# --- cadence --------------------------------------------------------------------------------


@dataclass
class Cadence:
    interval_days: int
    last_approved: Review | None
    next_due: date
    latest: Review | None
    latest_counts: RiskCounts | None
    reopened: list[dict[str, Any]] = field(default_factory=list)

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
    """Next review due = last approval (or, never reviewed, the service's creation) + the tier's interval.

    A reopened approval (its accepted risk lapsed) still dates the last review, and is listed in
    `reopened` with the risks that lapsed, so the service page says that the launch needs deciding again.
    """
    policy = tier_policy(system)
    reviews = Review.objects.filter(system=system).with_launch_status()
    last = (
        reviews.filter(status__in=[Review.Status.APPROVED, Review.Status.REOPENED], approved_at__isnull=False)
        .order_by("-approved_at")
        .first()
    )
    start = last.approved_at if last and last.approved_at else system.created_at
    latest = reviews.order_by("-created_at").first()
    reopened = [
        {"review": review, "lapsed": lapsed_risks(review), "decision": _latest_reopening(review)}
        for review in reviews.filter(current_status=Review.Status.REOPENED).order_by("-approved_at")
    ]
    return Cadence(
        interval_days=policy.review_interval_days,
        last_approved=last,
        next_due=timezone.localdate(start) + timedelta(days=policy.review_interval_days),
        latest=latest,
        latest_counts=review_counts(latest) if latest else None,
        reopened=reopened,
    )


def _latest_reopening(review: Review) -> Decision | None:
    """The recorded reopening of the current round (None while only derived, before the sweep)."""
    decision = review.decisions.order_by("-id").filter(kind__in=Decision.ROUND_STARTS).first()
    return decision if decision and decision.kind == Decision.Kind.REOPENED else None


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


# --- comparing lens versions and previewing an upgrade ----------------------------------------

RISK_FROM_LENS = {
    lensfile.Risk.HIGH_RISK: Risk.HIGH,
    lensfile.Risk.MEDIUM_RISK: Risk.MEDIUM,
    lensfile.Risk.NO_RISK: Risk.NONE,
}


def question_risk(question: Question, selected: list[str], not_applicable: bool) -> str:
    """An answer's risk under a question's rules (not applicable and unanswered come first)."""
    if not_applicable:
        return Risk.NOT_APPLICABLE
    if not selected:
        return Risk.UNANSWERED
    return RISK_FROM_LENS[lensfile.evaluate(question, selected)]


@dataclass
class LensComparison:
    lens: Lens
    before: LensVersion
    after: LensVersion
    diff: LensDiff


def lens_compare(*, lens: Lens, before: int, after: int) -> LensComparison:
    """Two stored versions of a lens (numbers checked by the caller's form) and what changed between them."""
    versions = {v.number: v for v in lens.versions.filter(number__in=[before, after])}
    return LensComparison(
        lens=lens,
        before=versions[before],
        after=versions[after],
        diff=lensfile.diff_documents(versions[before].document, versions[after].document),
    )


def newer_versions(review_lens: ReviewLens) -> list[LensVersion]:
    """Versions of the review's lens it could be upgraded to, newest first."""
    return list(
        LensVersion.objects.filter(lens_id=review_lens.lens_id, number__gt=review_lens.lens_version.number)
        .defer("source_yaml")
        .order_by("-number")
    )


def _has_content(answer: Answer) -> bool:
    return bool(answer.selected or answer.not_applicable or answer.notes.strip() or answer.evidence_links)


@dataclass
class CarriedAnswer:
    """An answer that stays: its question still exists in the new version."""

    answer: Answer
    title: str
    pillar_name: str
    selected_after: list[str]
    kept_choices: list[str]  # titles
    dropped_choices: list[ChoiceRef]
    risk_before: str
    risk_after: str
    question_change: QuestionChange | None

    @property
    def risk_changed(self) -> bool:
        return self.risk_before != self.risk_after


@dataclass
class LostAnswer:
    """An answer that goes: its question is not in the new version (milestones keep it)."""

    answer: Answer
    title: str
    pillar_name: str
    selected: list[str]  # titles


@dataclass
class UpgradePreview:
    review_lens: ReviewLens
    current: LensVersion
    target: LensVersion
    diff: LensDiff
    carried: list[CarriedAnswer]  # every kept question; `answered` filters those with something to keep
    lost: list[LostAnswer]  # answered questions that the new version removes
    removed_unanswered: list[QuestionRef]
    new: list[QuestionRef]

    @property
    def answered(self) -> list[CarriedAnswer]:
        return [c for c in self.carried if _has_content(c.answer)]

    @property
    def affected(self) -> list[CarriedAnswer]:
        """Kept answers the upgrade touches: a choice dropped, the risk changed, or the question reworded."""
        return [c for c in self.answered if c.dropped_choices or c.risk_changed or c.question_change]

    def changes(self) -> dict[str, Any]:
        """What `LensUpgrade.changes` records."""
        return {
            "added": [q.id for q in self.new],
            "removed": sorted(
                [lost.answer.question_id for lost in self.lost] + [q.id for q in self.removed_unanswered]
            ),
            "changed": [c.answer.question_id for c in self.carried if c.question_change],
            "dropped_choices": {
                c.answer.question_id: [d.id for d in c.dropped_choices] for c in self.carried if c.dropped_choices
            },
            "risk_changed": [
                {"question_id": c.answer.question_id, "before": c.risk_before, "after": c.risk_after}
                for c in self.carried
                if c.risk_changed
            ],
        }


def upgrade_preview(*, review_lens: ReviewLens, target: LensVersion) -> UpgradePreview:
    """What moving `review_lens` to `target` would carry over, lose and add (nothing is saved).

    Built on `lensfile.diff_documents` of the two versions; `services.review_lens_upgrade` applies
    exactly this. Answers to questions whose id is unchanged carry over, without the choices the new
    version no longer has, with their risk evaluated again; answers to removed questions are lost;
    new questions start unanswered.
    """
    current = review_lens.lens_version
    diff = lensfile.diff_documents(current.document, target.document)
    old_questions = questions_by_id(current)
    new_lens = lens_of(target)
    answers = {a.question_id: a for a in review_lens.answers.all()}
    carried = []
    for pillar in new_lens.pillars:
        for question in pillar.questions:
            answer = answers.get(question.id)
            if answer is None:
                continue
            titles = {c.id: c.title for c in question.choices}
            old_titles = {c.id: c.title for c in old_questions[question.id].choices}
            selected_after = [c for c in question.choice_ids() if c in set(answer.selected)]
            carried.append(
                CarriedAnswer(
                    answer=answer,
                    title=question.title,
                    pillar_name=pillar.name,
                    selected_after=selected_after,
                    kept_choices=[titles[c] for c in selected_after],
                    dropped_choices=[ChoiceRef(c, old_titles.get(c, c)) for c in answer.selected if c not in titles],
                    risk_before=answer.risk,
                    risk_after=question_risk(question, selected_after, answer.not_applicable),
                    question_change=diff.changed_question(question.id),
                )
            )
    removed = {q.id: q for q in diff.questions_removed}
    lost, removed_unanswered = [], []
    for qid, ref in removed.items():
        answer = answers.get(qid)
        if answer is not None and _has_content(answer):
            titles = {c.id: c.title for c in old_questions[qid].choices}
            lost.append(LostAnswer(answer, ref.title, ref.pillar_name, [titles.get(c, c) for c in answer.selected]))
        else:
            removed_unanswered.append(ref)
    return UpgradePreview(
        review_lens=review_lens,
        current=current,
        target=target,
        diff=diff,
        carried=carried,
        lost=lost,
        removed_unanswered=removed_unanswered,
        new=list(diff.questions_added),
    )
