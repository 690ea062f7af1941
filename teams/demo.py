"""Demo organization for `manage.py seed_demo`: people, teams and services."""

from typing import Any

from teams import services
from teams.models import System, Team, User
from teams.permissions import TeamRole

DEMO_PASSWORD = "opsx-demo"  # noqa: S105 - documented demo login, only with DEBUG on (seed_demo)

PEOPLE = [
    # username, first, last, org role
    ("admin", "Ada", "Admin", User.OrgRole.ADMIN),
    ("alice", "Alice", "Nguyen", User.OrgRole.MEMBER),
    ("bob", "Bob", "Okafor", User.OrgRole.MEMBER),
    ("carol", "Carol", "Schmidt", User.OrgRole.MEMBER),
    ("dave", "Dave", "Kowalski", User.OrgRole.MEMBER),
    ("erin", "Erin", "Tanaka", User.OrgRole.LEADERSHIP),
    ("frank", "Frank", "Moreau", User.OrgRole.MEMBER),
    ("grace", "Grace", "Hopper", User.OrgRole.MEMBER),
]

TEAMS = [
    (
        "Payments",
        "payments",
        "Card and wallet payments, refunds and payouts.",
        "Europe/Berlin",
        [("alice", TeamRole.LEAD), ("bob", TeamRole.MEMBER)],
    ),
    (
        "Platform",
        "platform",
        "Kubernetes clusters, CI/CD, service mesh and observability stack.",
        "America/New_York",
        [("carol", TeamRole.LEAD), ("grace", TeamRole.MEMBER), ("bob", TeamRole.MEMBER)],
    ),
    (
        "Search",
        "search",
        "Product search, ranking and the indexing pipeline.",
        "Europe/London",
        [("dave", TeamRole.LEAD)],
    ),
    (
        "Identity & Security",
        "identity",
        "Login, sessions, secrets and the security response rota.",
        "UTC",
        [("frank", TeamRole.LEAD)],
    ),
]

SYSTEMS = [
    (
        "Checkout API",
        "checkout-api",
        "payments",
        1,
        System.Lifecycle.PRODUCTION,
        "Takes orders and authorizes payments for web and mobile checkout.",
    ),
    (
        "Payouts",
        "payouts",
        "payments",
        2,
        System.Lifecycle.PRODUCTION,
        "Batches merchant payouts and reconciles them with the bank files.",
    ),
    (
        "Fraud Scoring",
        "fraud-scoring",
        "payments",
        1,
        System.Lifecycle.PRE_PRODUCTION,
        "Scores every authorization for fraud risk in under 50 ms.",
    ),
    (
        "Kubernetes Platform",
        "k8s-platform",
        "platform",
        1,
        System.Lifecycle.PRODUCTION,
        "Shared clusters for every production workload.",
    ),
    (
        "Deploy Pipeline",
        "deploy-pipeline",
        "platform",
        2,
        System.Lifecycle.PRODUCTION,
        "Builds, tests and progressively rolls out every service.",
    ),
    ("Search API", "search-api", "search", 2, System.Lifecycle.PRODUCTION, "Query serving for product search."),
    ("Indexer", "indexer", "search", 3, System.Lifecycle.PRODUCTION, "Streams catalogue changes into the index."),
    ("Login Service", "login", "identity", 1, System.Lifecycle.PRODUCTION, "Password, passkey and SSO sign-in."),
]


def seed(password: str = DEMO_PASSWORD) -> dict[str, Any]:
    """Create the demo organization (idempotent) and return it for the other apps' demo data.

    New people get `password` (seed_demo passes a random one when DEBUG is off)."""
    people: dict[str, User] = {}
    for username, first, last, role in PEOPLE:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                org_role=role,
                email=f"{username}@example.com",
                is_staff=role == User.OrgRole.ADMIN,
                is_superuser=role == User.OrgRole.ADMIN,
            )
            user.set_password(password)
            user.save()
        people[username] = user
    teams: dict[str, Team] = {}
    for name, slug, description, tz, members in TEAMS:
        team = Team.objects.filter(slug=slug).first() or services.team_create(
            actor=people["admin"], name=name, slug=slug, description=description, timezone=tz
        )
        for username, role in members:
            services.membership_set(team=team, user=people[username], role=role)
        teams[slug] = team
    systems: dict[str, System] = {}
    for name, slug, team_slug, tier, lifecycle, description in SYSTEMS:
        system = System.objects.filter(slug=slug).first() or services.system_create(
            actor=people["admin"],
            name=name,
            slug=slug,
            team=teams[team_slug],
            tier=tier,
            lifecycle=lifecycle,
            description=description,
            repository_url=f"https://git.example.com/{team_slug}/{slug}",
            runbook_url=f"https://wiki.example.com/runbooks/{slug}" if tier <= 2 else "",
            dashboard_url=f"https://grafana.example.com/d/{slug}",
        )
        systems[slug] = system
    return {"people": people, "teams": teams, "systems": systems}
