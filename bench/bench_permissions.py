"""The permission rule's cost: a user-scoped list against the same list unscoped."""

import random

from django.utils import timezone

from bench.harness import Report, paired_medians

TEAMS = 20
USERS = 200
INCIDENTS = 5000


def setup() -> dict:
    from incidents.defaults import ensure_severities
    from incidents.models import Incident
    from teams.models import Membership, System, Team, User

    rng = random.Random(7)
    severities = list(ensure_severities().values())
    teams = Team.objects.bulk_create(Team(name=f"Team {i}", slug=f"team-{i}") for i in range(TEAMS))
    systems = System.objects.bulk_create(
        System(name=f"Service {i}", slug=f"service-{i}", team=teams[i % TEAMS]) for i in range(TEAMS * 3)
    )
    users = User.objects.bulk_create(User(username=f"user{i}") for i in range(USERS))
    Membership.objects.bulk_create(Membership(user=u, team=teams[i % TEAMS]) for i, u in enumerate(users))
    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(
            title=f"Incident {i}",
            severity=rng.choice(severities),
            team=rng.choice(teams),
            started_at=now - timezone.timedelta(minutes=i),
            restricted=(i % 50 == 0),
        )
        for i in range(INCIDENTS)
    )
    through = Incident.services.through
    through.objects.bulk_create(through(incident=inc, system=rng.choice(systems)) for inc in incidents)
    access = Incident.access_list.through
    access.objects.bulk_create(access(incident=inc, user=users[0]) for inc in incidents if inc.restricted)
    return {"member": users[1]}


def run(report: Report) -> None:
    from incidents.models import Incident

    ctx = setup()
    member = ctx["member"]
    print(f"permissions: {INCIDENTS} incidents, {TEAMS} teams, {USERS} users (2% restricted)")
    scoped, base = paired_medians(
        lambda: list(Incident.objects.visible_to(member).select_related("team", "severity")[:50]),
        lambda: list(Incident.objects.select_related("team", "severity")[:50]),
    )
    report.ratio("incident list, first page, visible_to(member) vs unscoped", subject=scoped, baseline=base, limit=3.0)
    scoped_count, base_count = paired_medians(
        lambda: Incident.objects.visible_to(member).count(), lambda: Incident.objects.count()
    )
    report.ratio("incident count, visible_to(member) vs unscoped", subject=scoped_count, baseline=base_count, limit=5.0)
