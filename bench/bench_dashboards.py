"""Dashboards at organization scale: the organization's and one team's dashboard, as leadership reads them.

For each page, two numbers:
* queries per request, at a tenth of the data and at the full size: they must be equal (no query per
  team, service or row);
* the request's time (Django test client: middleware, KPIs, charts, templates) against the raw SQL
  aggregates it needs (the statements the KPI module runs, replayed on a plain cursor), measured
  alternately in the same run: at most 1.5x.

Default size (the issue's): 1000 teams, 5000 services, 200,000 incidents over two years, 100,000
action items, 5000 reviews; BENCH_DASHBOARDS_SCALE=0.05 seeds a twentieth for a quick run. The data
is seeded once: a tenth first (the small measurement), then the rest.
"""

import os
import time

from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.harness import Report, paired_medians

SCALE = float(os.environ.get("BENCH_DASHBOARDS_SCALE", "1"))
FULL = {"teams": 1000, "services": 5000, "incidents": 200_000, "action_items": 100_000, "reviews": 5000}
REPEAT = int(os.environ.get("BENCH_DASHBOARDS_REPEAT", "11"))
LIMIT = 1.5


def _sizes(fraction: float) -> dict[str, int]:
    """Teams and services are created up to their number (by name); the other rows are added."""
    full = {k: max(1, int(v * SCALE)) for k, v in FULL.items()}
    first = {k: max(1, int(v * 0.1)) for k, v in full.items()}
    if fraction < 1:
        return first
    return {k: v if k in ("teams", "services") else v - first[k] for k, v in full.items()}


def _seed(fraction: float, *, seed: int) -> dict[str, int]:
    from dashboards.seed import Sizes, seed_organization

    sizes = _sizes(fraction)
    started = time.monotonic()
    seed_organization(Sizes(**sizes), seed=seed)
    print(f"dashboards: seeded {sizes} in {time.monotonic() - started:.1f}s")
    return sizes


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def _statements(scope, user) -> list[str]:  # type: ignore[no-untyped-def]
    """The SQL the KPI module runs for this dashboard (what the page needs from the database)."""
    from dashboards.kpis import Period, kpis

    with CaptureQueriesContext(connection) as ctx:
        kpis(scope=scope, period=Period.last(90), user=user)
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]


def _raw(statements: list[str]) -> None:
    """The same statements on a plain cursor, in one transaction with the same session setting (JIT off)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        for statement in statements:
            cursor.execute(statement)
            cursor.fetchall()


def _check_totals(scope, user) -> None:  # type: ignore[no-untyped-def]
    """Hand-written SQL gives the same headline numbers as the KPI module."""
    from dashboards.kpis import Period, kpis

    period = Period.last(90)
    k = kpis(scope=scope, period=period, user=user)
    with connection.cursor() as cursor:
        if scope.kind == "organization":
            cursor.execute(
                "SELECT count(*) FROM incidents_incident WHERE started_at >= %s AND started_at < %s",
                [period.since, period.until],
            )
        else:
            cursor.execute(
                """SELECT count(*) FROM incidents_incident i WHERE started_at >= %s AND started_at < %s
                   AND (i.team_id = %s OR EXISTS (SELECT 1 FROM incidents_incident_services x
                        JOIN teams_system s ON s.id = x.system_id WHERE x.incident_id = i.id AND s.team_id = %s))""",
                [period.since, period.until, scope.team.pk, scope.team.pk],
            )
        incidents = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM incidents_actionitem WHERE status IN ('open', 'in_progress') AND due_date < %s"
            + (" AND team_id = %s" if scope.kind == "team" else ""),
            [timezone.localdate()] + ([scope.team.pk] if scope.kind == "team" else []),
        )
        overdue = cursor.fetchone()[0]
    assert k.incidents.total.current == incidents, (k.incidents.total.current, incidents)
    assert k.action_items.overdue.current == overdue, (k.action_items.overdue.current, overdue)


def run(report: Report) -> None:
    from dashboards.kpis import Scope
    from incidents.models import Incident
    from teams.models import Team, User

    leader, _ = User.objects.get_or_create(username="bench-leader", defaults={"org_role": User.OrgRole.LEADERSHIP})
    client = Client()
    client.force_login(leader)

    _seed(0.1, seed=21)
    busiest = (
        Incident.objects.filter(team__slug__startswith="bench-team-")
        .values("team_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    team = Team.objects.get(pk=busiest["team_id"])
    pages = {"organization": "/?period=90d", "team": f"/dashboards/teams/{team.slug}/?period=90d"}
    for url in pages.values():  # warm up: per-process caches (content types, lens files) fill on first use
        client.get(url)
    small = {name: _queries(client, url) for name, url in pages.items()}
    _seed(1, seed=22)
    print(
        f"dashboards: {Incident.objects.count()} incidents in the database; team {team.slug} "
        f"({Incident.objects.filter(team=team).count()} of its own)"
    )
    scopes = {"organization": Scope.organization(), "team": Scope.of_team(team)}
    for name, url in pages.items():
        full = _queries(client, url)
        print(f"  {name} dashboard: {small[name]} queries per request at a tenth of the data, {full} at full size")
        if full != small[name]:
            report.failures.append(f"{name} dashboard: queries grew with the data ({small[name]} -> {full})")
        _check_totals(scopes[name], leader)
        statements = _statements(scopes[name], leader)
        subject, baseline = paired_medians(lambda url=url: client.get(url), lambda s=statements: _raw(s), repeat=REPEAT)
        report.ratio(
            f"{name} dashboard request ({full} queries) vs its {len(statements)} raw SQL statements",
            subject=subject,
            baseline=baseline,
            limit=LIMIT,
        )
