"""A whole organization's worth of realistic data for the dashboards benchmark (`manage.py seed_bench --teams ...`).

Two years of history, bulk-inserted in batches: teams of very different sizes (a few teams own many
services and have most incidents), services of every tier and lifecycle, incidents mostly low
severity with log-normal response times (some times unknown, a few incidents still open, 1%
restricted), required postmortems for SEV1–2 (most published, some late, some overdue), action items
from every origin (most closed, some overdue), and readiness reviews of the built-in lens with risks
and acceptances. Deterministic for a given seed. Row timestamps are historical: `auto_now` fields
are switched off while inserting.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from incidents.defaults import ensure_factor_categories, ensure_severities
from incidents.models import ActionItem, FactorCategory, Incident, Postmortem, add_business_days
from reviews.defaults import ensure_builtin_lens
from reviews.models import Answer, Review, ReviewLens, Risk, RiskAcceptance
from reviews.selectors import latest_version
from teams.models import System, Team, User

BATCH = 5000
DAY = timedelta(days=1)
SEVERITY_WEIGHTS = [2, 8, 30, 40, 20]  # SEV1..SEV5, percent
TIER_WEIGHTS = [15, 30, 40, 15]
LIFECYCLE_WEIGHTS = [
    (System.Lifecycle.PRODUCTION, 70),
    (System.Lifecycle.PRE_PRODUCTION, 10),
    (System.Lifecycle.DESIGN, 10),
    (System.Lifecycle.RETIRED, 10),
]
RISK_WEIGHTS = [(Risk.HIGH, 8), (Risk.MEDIUM, 15), (Risk.NONE, 50), (Risk.UNANSWERED, 20), (Risk.NOT_APPLICABLE, 7)]
ORIGIN_WEIGHTS = [
    (ActionItem.Origin.POSTMORTEM, 45),
    (ActionItem.Origin.INCIDENT, 15),
    (ActionItem.Origin.REVIEW, 15),
    (ActionItem.Origin.GAME_DAY, 5),
    (ActionItem.Origin.OTHER, 20),
]


@dataclass
class Sizes:
    teams: int = 1000
    services: int = 5000
    incidents: int = 200_000
    action_items: int = 100_000
    reviews: int = 5000
    days: int = 730


@contextlib.contextmanager
def historical_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk inserts keep the created_at/updated_at values we give them."""
    switched = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                switched.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in switched:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _lognormal(rng: random.Random, median_minutes: float, sigma: float = 1.0) -> timedelta:
    return timedelta(minutes=median_minutes * math.exp(rng.gauss(0, sigma)))


def _skewed(rng: random.Random, count: int) -> list[float]:
    """Zipf-like weights: a few large teams, a long tail of small ones (shuffled so names say nothing)."""
    weights = [1 / (rank + 1) ** 0.8 for rank in range(count)]
    rng.shuffle(weights)
    return weights


def _batches(total: int) -> Iterator[int]:
    done = 0
    while done < total:
        size = min(BATCH, total - done)
        yield size
        done += size


class Seeder:
    def __init__(self, sizes: Sizes, *, seed: int = 11, now: datetime | None = None, log: Callable[[str], None]):
        self.sizes = sizes
        self.rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
        self.now = now or timezone.now()
        self.start = self.now - timedelta(days=sizes.days)
        self.log = log

    def run(self) -> dict[str, int]:
        severities = ensure_severities()
        ensure_factor_categories()
        self.categories = list(FactorCategory.objects.values_list("slug", flat=True))
        self.severity = [severities[level] for level in range(1, 6)]
        self.lead, _ = User.objects.get_or_create(username="bench-lead", defaults={"first_name": "Bench"})
        with historical_timestamps(System, Incident, Postmortem, ActionItem, Review):
            teams = self._teams()
            systems = self._systems(teams)
            incidents = self._incidents(teams, systems)
            self._postmortems(incidents)
            self._action_items(teams, incidents)
            self._reviews(systems)
        self._analyze()
        return {"teams": len(teams), "services": len(systems), "incidents": len(incidents)}

    # --- organization -----------------------------------------------------------------------

    def _teams(self) -> list[Team]:
        count = self.sizes.teams
        Team.objects.bulk_create(
            [Team(name=f"Bench team {i}", slug=f"bench-team-{i}") for i in range(count)],
            ignore_conflicts=True,
            batch_size=BATCH,
        )
        teams = list(Team.objects.filter(slug__in=[f"bench-team-{i}" for i in range(count)]).order_by("pk"))
        self.team_weights = list(itertools.accumulate(_skewed(self.rng, len(teams))))  # cumulative, for speed
        self.log(f"  teams: {len(teams)}")
        return teams

    def _systems(self, teams: list[Team]) -> list[System]:
        rng, count = self.rng, self.sizes.services
        existing = set(System.objects.filter(slug__startswith="bench-service-").values_list("slug", flat=True))
        new = []
        for i in range(count):
            slug = f"bench-service-{i}"
            if slug in existing:
                continue
            # Every team owns at least one service; the rest follow team size.
            team = teams[i] if i < len(teams) else rng.choices(teams, cum_weights=self.team_weights)[0]
            created = self.start - timedelta(days=rng.randint(0, 400)) + rng.random() * (self.now - self.start) * 0.8
            new.append(System(
                name=f"Bench service {i}", slug=slug, team=team, tier=rng.choices([1, 2, 3, 4], TIER_WEIGHTS)[0],
                lifecycle=rng.choices([v for v, _ in LIFECYCLE_WEIGHTS], [w for _, w in LIFECYCLE_WEIGHTS])[0],
                created_at=created, updated_at=created,
            ))  # fmt: skip
        System.objects.bulk_create(new, batch_size=BATCH)
        systems = list(System.objects.filter(slug__startswith="bench-service-").order_by("pk"))
        self.by_team: dict[int, list[System]] = {}
        for system in systems:
            self.by_team.setdefault(system.team_id, []).append(system)
        self.log(f"  services: {len(systems)} ({len(new)} new)")
        return systems

    # --- incidents --------------------------------------------------------------------------

    def _incidents(self, teams: list[Team], systems: list[System]) -> list[Incident]:
        rng, out = self.rng, []
        span = (self.now - self.start).total_seconds()
        for size in _batches(self.sizes.incidents):
            rows, links = [], []
            for _ in range(size):
                team = rng.choices(teams, cum_weights=self.team_weights)[0]
                # Slightly more incidents lately (the organization grows).
                started = self.start + timedelta(seconds=span * math.sqrt(rng.random()))
                level = rng.choices(range(1, 6), SEVERITY_WEIGHTS)[0]
                incident = Incident(
                    title=f"Bench incident in {team.slug}", team=team, severity=self.severity[level - 1],
                    started_at=started, restricted=rng.random() < 0.01, created_at=started, updated_at=started,
                )  # fmt: skip
                self._times(incident, level)
                rows.append(incident)
                own = self.by_team.get(team.pk) or [rng.choice(systems)]
                affected = set(rng.sample(own, k=min(len(own), rng.choice([1, 1, 1, 2]))))
                if rng.random() < 0.2:
                    affected.add(rng.choice(systems))  # another team's service was hit too
                links.append(affected)
            with transaction.atomic():
                Incident.objects.bulk_create(rows, batch_size=BATCH)
                through = Incident.services.through
                through.objects.bulk_create(
                    [through(incident_id=i.pk, system_id=s.pk) for i, ss in zip(rows, links, strict=True) for s in ss],
                    batch_size=BATCH,
                )
            out += rows
            self.log(f"  incidents: {len(out)}/{self.sizes.incidents}")
        return out

    def _times(self, incident: Incident, level: int) -> None:
        rng, started = self.rng, incident.started_at
        detected = started + _lognormal(rng, 8)
        acknowledged = detected + _lognormal(rng, 5)
        mitigated = acknowledged + _lognormal(rng, 40 if level <= 2 else 60, 1.1)
        resolved = mitigated + _lognormal(rng, 90 if level <= 2 else 150, 1.2)
        if resolved > self.now - timedelta(hours=rng.uniform(0, 72)) or rng.random() < 0.003:
            incident.status = rng.choice([Incident.Status.INVESTIGATING, Incident.Status.IDENTIFIED,
                                          Incident.Status.MONITORING])  # fmt: skip
            resolved = None
            mitigated = mitigated if mitigated < self.now and rng.random() < 0.5 else None
        else:
            incident.status = rng.choices([Incident.Status.RESOLVED, Incident.Status.CLOSED], [40, 60])[0]
        incident.detected_at = detected if rng.random() > 0.05 and detected < self.now else None
        incident.acknowledged_at = acknowledged if rng.random() > 0.15 and acknowledged < self.now else None
        incident.mitigated_at = mitigated if mitigated and rng.random() > 0.2 else None
        incident.resolved_at = resolved

    # --- postmortems ------------------------------------------------------------------------

    def _postmortems(self, incidents: list[Incident]) -> None:
        rng, today = self.rng, timezone.localdate(self.now)
        rows = []
        for incident in incidents:
            if incident.resolved_at is None:
                continue
            required = incident.severity.level <= 2
            if not required and not (incident.severity.level == 3 and rng.random() < 0.1):
                continue
            resolved_day = timezone.localdate(incident.resolved_at)
            due = add_business_days(resolved_day, 5) if required else None
            published = incident.resolved_at + _lognormal(rng, 6 * 1440, 0.7)
            status = Postmortem.Status.PUBLISHED
            if published > self.now or rng.random() < 0.08:
                status = rng.choice([Postmortem.Status.DRAFT, Postmortem.Status.IN_REVIEW])
                published = None
            factors = [
                {"category": slug, "description": f"{slug} played a part."}
                for slug in rng.sample(self.categories, k=rng.randint(1, 3))
            ]
            rows.append(Postmortem(
                incident=incident, required=required, due_date=due, status=status, published_at=published,
                submitted_at=published, factors=factors, summary="Bench postmortem.",
                created_at=incident.resolved_at, updated_at=published or incident.resolved_at,
            ))  # fmt: skip
        Postmortem.objects.bulk_create(rows, batch_size=BATCH)
        late = sum(1 for p in rows if p.due_date and p.status != Postmortem.Status.PUBLISHED and p.due_date < today)
        self.log(f"  postmortems: {len(rows)} ({late} overdue)")

    # --- action items -----------------------------------------------------------------------

    def _action_items(self, teams: list[Team], incidents: list[Incident]) -> None:
        rng = self.rng
        resolved = [i for i in incidents if i.resolved_at is not None]
        origins, weights = [o for o, _ in ORIGIN_WEIGHTS], [w for _, w in ORIGIN_WEIGHTS]
        span = (self.now - self.start).total_seconds()
        done = 0
        for size in _batches(self.sizes.action_items):
            rows = []
            for _ in range(size):
                origin = rng.choices(origins, weights)[0]
                incident = None
                if origin in (ActionItem.Origin.POSTMORTEM, ActionItem.Origin.INCIDENT) and resolved:
                    incident = rng.choice(resolved)
                    team_id = incident.team_id
                    created = incident.resolved_at + _lognormal(rng, 2 * 1440)
                else:
                    team_id = rng.choices(teams, cum_weights=self.team_weights)[0].pk
                    created = self.start + timedelta(seconds=span * rng.random())
                created = min(created, self.now - timedelta(minutes=5))
                due = timezone.localdate(created) + timedelta(days=rng.choice([7, 14, 30, 30, 60, 90]))
                status, completed = ActionItem.Status.OPEN, None
                closing = created + _lognormal(rng, 20 * 1440, 1.0)
                if closing < self.now and rng.random() < 0.8:
                    status = ActionItem.Status.DONE if rng.random() < 0.85 else ActionItem.Status.WONT_DO
                    completed = closing
                elif rng.random() < 0.3:
                    status = ActionItem.Status.IN_PROGRESS
                rows.append(ActionItem(
                    title=f"Bench action ({origin})", team_id=team_id, origin=origin, incident=incident,
                    due_date=due if rng.random() > 0.15 else None, status=status, completed_at=completed,
                    wont_do_reason="Covered elsewhere." if status == ActionItem.Status.WONT_DO else "",
                    priority=rng.choice(["p1", "p2", "p3", "p3", "p4"]), created_at=created,
                    updated_at=completed or created,
                ))  # fmt: skip
            ActionItem.objects.bulk_create(rows, batch_size=BATCH)
            done += size
            self.log(f"  action items: {done}/{self.sizes.action_items}")

    # --- readiness --------------------------------------------------------------------------

    def _reviews(self, systems: list[System]) -> None:
        rng = self.rng
        version = latest_version(ensure_builtin_lens())
        questions = [(p["id"], q["id"]) for p in version.document["pillars"] for q in p["questions"]]
        reviewed = rng.sample(systems, k=min(len(systems), int(self.sizes.reviews * 0.8)))
        subjects = reviewed + rng.sample(reviewed, k=max(0, self.sizes.reviews - len(reviewed)))
        reviews = []
        for system in subjects:
            created = max(system.created_at, self.start) + rng.random() * (
                self.now - max(system.created_at, self.start)
            )
            status = rng.choices([Review.Status.APPROVED, Review.Status.REQUESTED, Review.Status.DRAFT], [60, 10, 30])[
                0
            ]
            approved = created + _lognormal(rng, 14 * 1440, 0.6) if status == Review.Status.APPROVED else None
            if approved and approved > self.now:
                status, approved = Review.Status.REQUESTED, None
            reviews.append(Review(
                title=f"Readiness of {system.name}", system=system, team_id=system.team_id, status=status,
                approved_at=approved, requested_at=approved, created_at=created, updated_at=approved or created,
            ))  # fmt: skip
        risk_values, risk_weights = [r for r, _ in RISK_WEIGHTS], [w for _, w in RISK_WEIGHTS]
        acceptances = 0
        for start in range(0, len(reviews), 1000):
            chunk = reviews[start : start + 1000]
            with transaction.atomic():
                Review.objects.bulk_create(chunk)
                links = ReviewLens.objects.bulk_create(
                    [ReviewLens(review=r, lens_id=version.lens_id, lens_version=version) for r in chunk]
                )
                answers = [
                    Answer(review_lens=link, review_id=link.review_id, pillar_id=pillar, question_id=question,
                           position=n, risk=rng.choices(risk_values, risk_weights)[0],
                           not_applicable=False)
                    for link in links
                    for n, (pillar, question) in enumerate(questions)
                ]  # fmt: skip
                for answer in answers:
                    if answer.risk == Risk.NOT_APPLICABLE:
                        answer.not_applicable, answer.na_reason = True, "Not used here."
                Answer.objects.bulk_create(answers, batch_size=BATCH)
                by_review: dict[int, list[Answer]] = {}
                for answer in answers:
                    if answer.risk == Risk.HIGH:
                        by_review.setdefault(answer.review_id, []).append(answer)
                accepted = [
                    RiskAcceptance(
                        answer=answer, review_id=answer.review_id, reason="Accepted for launch.", accepted_by=self.lead,
                        expires_at=self.now + timedelta(days=rng.randint(-60, 180)),
                    )
                    for review in chunk
                    if review.status == Review.Status.APPROVED and rng.random() < 0.15
                    for answer in by_review.get(review.pk, [])[:2]
                ]  # fmt: skip
                RiskAcceptance.objects.bulk_create(accepted)
                acceptances += len(accepted)
        self.log(f"  reviews: {len(reviews)} with {len(questions)} answers each, {acceptances} risk acceptances")

    def _analyze(self) -> None:
        if connection.vendor != "postgresql":
            return
        tables = [model._meta.db_table for model in (Team, System, Incident, Postmortem, ActionItem, Review, Answer,
                                                       ReviewLens, RiskAcceptance)]  # fmt: skip
        tables.append(Incident.services.through._meta.db_table)
        # VACUUM also sets the visibility map and hint bits a fresh bulk load lacks (not inside a transaction).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{command} {table}")
        self.log(f"  {command} of {len(tables)} tables")


def seed_organization(sizes: Sizes, *, seed: int = 11, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    return Seeder(sizes, seed=seed, log=log).run()
