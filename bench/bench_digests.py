"""Digests at organization scale: building every team, personal and leadership digest of a week.

Seeds 100 teams of 20 people with the dashboards' realistic data (`dashboards.seed`, the same data
`seed_bench --teams ... --incidents ...` writes: two years of incidents, 1% restricted, postmortems,
action items, reviews), a tag follow for every fourth person and the people named on restricted
incidents; measures one digest build (a dry run of `run_digests`: every digest of every reader,
nothing written), then grows the organization to 1000 teams and measures again. For both sizes it
prints the build time and the query count, and the ratio 1000/100 of both: the queries must not
grow at all, and the time at most linearly (a ratio of at most 10, with room for noise: 13).

BENCH_DIGESTS_SCALE=0.1 seeds a tenth (10 and 100 teams) for a quick run.
"""

import os
import random
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.harness import Report

SCALE = float(os.environ.get("BENCH_DIGESTS_SCALE", "1"))
PEOPLE = 20
PER_TEAM = {"services": 5, "incidents": 200, "action_items": 100, "reviews": 5}
TIME_LIMIT = 13.0
REPEAT = int(os.environ.get("BENCH_DIGESTS_REPEAT", "3"))


def _seed(teams: int, *, seed: int) -> None:
    from dashboards.seed import Sizes, seed_organization
    from incidents.models import Incident
    from learning.models import Follow
    from teams.models import Membership, Team, User
    from teams.permissions import TeamRole

    before = {k: v * teams for k, v in PER_TEAM.items()}
    if Team.objects.filter(slug__startswith="bench-team-").exists():  # growing: add the difference
        small = Team.objects.filter(slug__startswith="bench-team-").count()
        before = {k: v * (teams - small) for k, v in PER_TEAM.items()}
        before["services"] = PER_TEAM["services"] * teams
    started = time.monotonic()
    seed_organization(Sizes(teams=teams, **before), seed=seed)
    rng = random.Random(seed)
    users, memberships, follows = [], [], []
    have = set(Membership.objects.values_list("team_id", flat=True).distinct())
    new_teams = [t for t in Team.objects.filter(slug__startswith="bench-team-").order_by("pk") if t.pk not in have]
    for team in new_teams:
        for i in range(PEOPLE):
            users.append(User(username=f"bench-{team.pk}-{i}", email=f"bench-{team.pk}-{i}@example.com", password="!"))
    User.objects.bulk_create(users, batch_size=5000)
    by_name = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    tags = ["database", "cache", "dns", "deploys", "kafka", "payments"]
    for team in new_teams:
        for i in range(PEOPLE):
            user = by_name[f"bench-{team.pk}-{i}"]
            memberships.append(Membership(user=user, team=team, role=TeamRole.LEAD if i == 0 else TeamRole.MEMBER))
            if i % 4 == 1:
                tag = rng.choice(tags)
                follows.append(Follow(user=user, kind="tag", value=tag, label=tag))
    Membership.objects.bulk_create(memberships, batch_size=5000)
    Follow.objects.bulk_create(follows, batch_size=5000, ignore_conflicts=True)
    # The restricted incidents name one or two of their team's people.
    through = Incident.access_list.through
    restricted = Incident.objects.filter(restricted=True, access_list__isnull=True).values_list("pk", "team_id")
    rows = [
        through(incident_id=incident_id, user_id=by_name[f"bench-{team_id}-1"].pk)
        for incident_id, team_id in restricted
        if f"bench-{team_id}-1" in by_name
    ]
    through.objects.bulk_create(rows, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"digests: seeded {teams} teams of {PEOPLE} people in {time.monotonic() - started:.1f}s")


def _build(now):  # type: ignore[no-untyped-def]
    from reminders.services import run_digests

    return run_digests(now=now, only_due=False, dry_run=True)


def _measure(now) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    from reminders.models import ReminderSettings

    ContentType.objects.get_for_models(*apps.get_models())  # per-process caches, as in a long-running worker
    ReminderSettings.current()
    with CaptureQueriesContext(connection) as ctx:
        result = _build(now)
    queries = len(ctx.captured_queries)
    built = len(result.digests)
    del result
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        _build(now)
        times.append(time.perf_counter() - started)
    return statistics.median(times), queries, built


def run(report: Report) -> None:
    from teams.models import User

    User.objects.get_or_create(username="bench-leader", defaults={"org_role": User.OrgRole.LEADERSHIP})
    now = timezone.now()
    small_teams, large_teams = max(1, int(100 * SCALE)), max(2, int(1000 * SCALE))
    _seed(small_teams, seed=31)
    small_time, small_queries, small_built = _measure(now)
    print(f"  {small_teams} teams: {small_built} digests built in {small_time:.2f}s with {small_queries} queries")
    _seed(large_teams, seed=32)
    large_time, large_queries, large_built = _measure(now)
    print(f"  {large_teams} teams: {large_built} digests built in {large_time:.2f}s with {large_queries} queries")
    print(
        f"  ratio {large_teams}/{small_teams}: time {large_time / small_time:.2f}, "
        f"queries {large_queries / small_queries:.2f}, digests {large_built / small_built:.2f}"
    )
    if large_queries != small_queries:
        report.failures.append(f"digest build: queries grew with the teams ({small_queries} -> {large_queries})")
    report.ratio(
        f"digest build, {large_teams} teams vs {small_teams} (at most linear)",
        subject=large_time,
        baseline=small_time,
        limit=TIME_LIMIT * (large_teams / small_teams) / 10,
    )
