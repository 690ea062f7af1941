"""Generate benchmark data: published postmortems for the search benchmark, or a whole organization
for the dashboards benchmark.

    python manage.py seed_bench --postmortems 100000
    python manage.py seed_bench --teams 1000 --services 5000 --incidents 200000 --action-items 100000 --reviews 5000

With any of --services, --incidents, --action-items or --reviews the command seeds an organization
(teams, services, two years of incidents, postmortems, action items and reviews; see
`dashboards.seed`) and --postmortems is only seeded when given too. Without them it seeds
--postmortems (default 100000) as before.

Rows are bulk-inserted in batches (incidents, postmortems, library entries, facets), then the search
vectors are computed in one UPDATE with the GIN index dropped and rebuilt around it, which is much
faster than maintaining the index row by row. Deterministic for a given --seed.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.commands import AuditedCommand
from incidents.defaults import ensure_factor_categories, ensure_severities
from incidents.models import FactorCategory, Incident, Postmortem, Tag
from learning.indexing import refresh_search_vectors
from learning.models import EntryFacet, FacetKind, LibraryEntry
from teams.models import System, Team

GIN_INDEX = "learning_entry_search_gin"

COMPONENTS = [
    "database", "primary database", "read replica", "connection pool", "cache", "cache cluster", "message queue",
    "queue consumer", "load balancer", "ingress controller", "service mesh", "DNS resolver", "CDN", "object storage",
    "search index", "indexer", "payment gateway", "card processor", "fraud model", "feature flag service",
    "config service", "secrets store", "certificate", "TLS terminator", "API gateway", "rate limiter",
    "session store", "login service", "SSO provider", "email relay", "SMS provider", "webhook dispatcher",
    "batch scheduler", "cron runner", "data pipeline", "stream processor", "Kafka cluster", "Redis cluster",
    "Kubernetes node pool", "autoscaler", "container registry", "deploy pipeline", "build cache", "VPN gateway",
    "NAT gateway", "firewall rule", "network switch", "availability zone", "disk volume", "backup job",
    "replication slot", "schema migration", "ORM query", "mobile app release", "web frontend", "GraphQL layer",
    "billing service", "invoice generator", "payout job", "ledger", "inventory service", "pricing engine",
    "S3/DynamoDB session table", "S3 bucket policy",
]  # fmt: skip
FAILURES = [
    "ran out of connections", "exhausted its memory", "filled its disk", "stopped answering health checks",
    "returned stale data", "served expired credentials", "dropped messages", "processed messages twice",
    "fell behind by hours", "timed out under load", "deadlocked", "restarted in a loop", "lost its leader",
    "split into two clusters", "rejected valid requests", "accepted malformed input", "leaked file descriptors",
    "throttled every client", "cached an error page", "rolled back halfway", "corrupted an index",
    "blocked the event loop", "saturated its CPU", "hit a kernel limit", "exceeded its API quota",
]  # fmt: skip
TRIGGERS = [
    "a configuration change", "a routine deploy", "a schema migration", "a traffic spike from a marketing email",
    "a certificate rotation", "an expired certificate", "a dependency upgrade", "a cloud provider maintenance",
    "a failover drill", "an unplanned failover", "a retry storm", "a thundering herd after a cache flush",
    "a misconfigured feature flag", "a bad data import", "a clock skew between hosts", "a partial network outage",
    "a noisy neighbour on shared hardware", "a runaway batch job", "a DNS record change", "a credential rotation",
]  # fmt: skip
DETECTIONS = [
    "customer support tickets", "an error-rate alert", "a latency alert", "a synthetic check", "a partner's phone call",
    "a dashboard someone happened to open", "a saturation alert", "an on-call engineer's hunch", "social media",
    "a failed end-to-end test", "an anomaly detector", "the status page of a vendor",
]  # fmt: skip
FIXES = [
    "rolled back the change", "failed over to the standby", "raised the limit", "drained the queue by hand",
    "restarted the affected pods", "disabled the feature flag", "rebuilt the index", "rotated the credentials again",
    "added capacity", "blocked the abusive traffic", "replayed the lost messages", "restored from backup",
]  # fmt: skip
LESSONS = [
    "alert on saturation before errors appear", "canary configuration changes like code", "add jitter to retries",
    "give batch jobs their own connection pool", "test failover under production load", "make payouts idempotent",
    "monitor certificate chains, not only leaf certificates", "keep runbooks next to the alerts that need them",
    "cap queue consumers so a backlog cannot starve the database", "serve stale cache entries when the origin fails",
    "practise restores every quarter", "limit the blast radius of feature flags", "budget retries per request",
    "review rate limits against shared egress addresses", "track clock skew on every host",
]  # fmt: skip
TAGS = [
    "database", "cache", "queue", "dns", "tls", "certificates", "kubernetes", "deploys", "config-change", "capacity",
    "retries", "failover", "networking", "storage", "auth", "payments", "search", "mobile", "frontend", "batch",
    "kafka", "redis", "postgres", "cdn", "rate-limiting", "idempotency", "migrations", "backups", "observability",
    "security", "vendors", "latency", "data-loss", "billing", "email", "sms", "webhooks", "autoscaling", "quotas",
    "on-call",
]  # fmt: skip


def _sentence(rng: random.Random) -> dict[str, Any]:
    component = rng.choice(COMPONENTS)
    return {
        "component": component,
        "other": rng.choice(COMPONENTS),
        "failure": rng.choice(FAILURES),
        "trigger": rng.choice(TRIGGERS),
        "detection": rng.choice(DETECTIONS),
        "fix": rng.choice(FIXES),
        "lesson": rng.choice(LESSONS),
        "minutes": rng.randint(4, 400),
        "share": rng.randint(1, 60),
    }


def generate(rng: random.Random) -> dict[str, str]:
    """Title, summary, lessons and section texts for one made-up incident."""
    s = _sentence(rng)
    title = f"{s['component'].capitalize()} {s['failure']} after {s['trigger']}"
    summary = (
        f"After {s['trigger']}, the {s['component']} {s['failure']}. About {s['share']}% of requests to the "
        f"{s['other']} failed for {s['minutes']} minutes until we {s['fix']}."
    )
    lessons = f"We should {s['lesson']}. We should also {rng.choice(LESSONS)}."
    sections = {
        "impact": f"{s['share']}% of customers saw errors; the {s['other']} was degraded for {s['minutes']} minutes.",
        "detection": f"We learned about it from {s['detection']}, {rng.randint(2, 90)} minutes after it began.",
        "response": f"The on-call engineer {s['fix']}; a second responder checked the {rng.choice(COMPONENTS)}.",
        "went_poorly": f"The {rng.choice(COMPONENTS)} dashboards did not show the {s['component']} at all.",
        "lucky": f"It happened outside the peak for the {rng.choice(COMPONENTS)}.",
    }
    return {"title": title[:200], "summary": summary, "lessons": lessons, **sections}


class Command(AuditedCommand):
    help = "Generate N published postmortems with realistic varied text (for `make bench`)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--postmortems", type=int, default=None, help="How many (default 100000).")
        parser.add_argument("--teams", type=int, default=None, help="Teams (default 30; an organization: 1000).")
        parser.add_argument("--services", type=int, default=None, help="Services of the organization (default 5000).")
        parser.add_argument("--incidents", type=int, default=None, help="Incidents over two years (default 200000).")
        parser.add_argument("--action-items", type=int, default=None, help="Action items (default 100000).")
        parser.add_argument("--reviews", type=int, default=None, help="Readiness reviews (default 5000).")
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        organization = [options[k] for k in ("services", "incidents", "action_items", "reviews")]
        if any(v is not None for v in organization):
            self._organization_scale(options)
            if options["postmortems"] is None:
                return
        options["postmortems"] = 100_000 if options["postmortems"] is None else options["postmortems"]
        options["teams"] = 30 if options["teams"] is None else options["teams"]
        self._postmortems(options)

    def _organization_scale(self, options: dict[str, Any]) -> None:
        from dashboards.seed import Sizes, seed_organization

        defaults = Sizes()
        sizes = Sizes(
            teams=options["teams"] if options["teams"] is not None else defaults.teams,
            services=options["services"] if options["services"] is not None else defaults.services,
            incidents=options["incidents"] if options["incidents"] is not None else defaults.incidents,
            action_items=options["action_items"] if options["action_items"] is not None else defaults.action_items,
            reviews=options["reviews"] if options["reviews"] is not None else defaults.reviews,
        )
        if min(sizes.teams, sizes.services) < 1 or min(sizes.incidents, sizes.action_items, sizes.reviews) < 0:
            raise CommandError("--teams and --services must be positive; the other counts must not be negative")
        started = time.monotonic()
        result = seed_organization(sizes, seed=options["seed"], log=self.stdout.write)
        self.stdout.write(
            f"Seeded an organization of {result['teams']} teams, {result['services']} services, "
            f"{sizes.incidents} incidents, {sizes.action_items} action items and {sizes.reviews} reviews "
            f"in {time.monotonic() - started:.1f}s."
        )

    def _postmortems(self, options: dict[str, Any]) -> None:
        total, batch = options["postmortems"], options["batch"]
        if total < 1 or batch < 1:
            raise CommandError("--postmortems and --batch must be positive")
        started = time.monotonic()
        rng = random.Random(options["seed"])
        severities = list(ensure_severities().values())
        ensure_factor_categories()
        categories = list(FactorCategory.objects.values_list("slug", "name"))
        teams, systems, tags = self._organization(options["teams"])
        postgres = connection.vendor == "postgresql"
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
        done = 0
        now = datetime.now(tz=UTC)
        while done < total:
            size = min(batch, total - done)
            with transaction.atomic():
                self._batch(rng, size, now, teams, systems, tags, severities, categories)
            done += size
            self.stdout.write(f"  {done}/{total} postmortems", ending="\r")
            self.stdout.flush()
        self.stdout.write("")
        refresh_search_vectors()
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON learning_libraryentry USING gin (search_vector)"
                )
                cursor.execute("ANALYZE learning_libraryentry")
                cursor.execute("ANALYZE learning_entryfacet")
        self.stdout.write(f"Seeded {total} published postmortems in {time.monotonic() - started:.1f}s.")

    def _organization(self, count: int) -> tuple[list[Team], list[System], list[Tag]]:
        teams = [
            Team.objects.get_or_create(slug=f"bench-team-{i}", defaults={"name": f"Bench team {i}"})[0]
            for i in range(count)
        ]
        systems = [
            System.objects.get_or_create(
                slug=f"bench-service-{i}", defaults={"name": f"Bench service {i}", "team": teams[i % count]}
            )[0]
            for i in range(count * 5)
        ]
        tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
        return teams, systems, tags

    def _batch(self, rng, size, now, teams, systems, tags, severities, categories) -> None:  # type: ignore[no-untyped-def]
        texts = [generate(rng) for _ in range(size)]
        by_team: dict[int, list[System]] = {}
        for system in systems:
            by_team.setdefault(system.team_id, []).append(system)
        picks = []
        incidents = []
        for text in texts:
            team = rng.choice(teams)
            team_systems = by_team.get(team.pk) or systems
            started = now - timedelta(days=rng.randint(1, 6 * 365), minutes=rng.randint(0, 1440))
            pick = {
                "team": team,
                "severity": rng.choices(severities, weights=[1, 3, 6, 4, 2])[0],
                "services": rng.sample(team_systems, k=min(len(team_systems), rng.randint(1, 2))),
                "tags": rng.sample(tags, k=rng.randint(1, 3)),
                "categories": rng.sample(categories, k=rng.randint(1, 3)),
                "started": started,
            }
            picks.append(pick)
            incidents.append(
                Incident(
                    title=text["title"],
                    summary=text["summary"],
                    severity=pick["severity"],
                    status=Incident.Status.CLOSED,
                    team=team,
                    started_at=started,
                    resolved_at=started + timedelta(minutes=rng.randint(5, 600)),
                )
            )
        incidents = Incident.objects.bulk_create(incidents)
        Incident.services.through.objects.bulk_create(
            Incident.services.through(incident_id=i.pk, system_id=s.pk)
            for i, p in zip(incidents, picks, strict=True)
            for s in p["services"]
        )
        Incident.tags.through.objects.bulk_create(
            Incident.tags.through(incident_id=i.pk, tag_id=t.pk)
            for i, p in zip(incidents, picks, strict=True)
            for t in p["tags"]
        )
        postmortems = Postmortem.objects.bulk_create(
            Postmortem(
                incident=incident,
                status=Postmortem.Status.PUBLISHED,
                published_at=pick["started"] + timedelta(days=rng.randint(1, 20)),
                summary=text["summary"],
                lessons=text["lessons"],
                impact=text["impact"],
                detection=text["detection"],
                response=text["response"],
                went_poorly=text["went_poorly"],
                lucky=text["lucky"],
                factors=[
                    {"category": slug, "description": f"{name} played a part."} for slug, name in pick["categories"]
                ],
            )
            for incident, pick, text in zip(incidents, picks, texts, strict=True)
        )
        entries = LibraryEntry.objects.bulk_create(
            LibraryEntry(
                postmortem=pm,
                incident=incident,
                team=pick["team"],
                title=text["title"],
                summary=text["summary"],
                lessons=text["lessons"],
                body="\n\n".join(text[k] for k in ("impact", "detection", "response", "went_poorly", "lucky")),
                severity_level=pick["severity"].level,
                severity_name=pick["severity"].name,
                occurred_on=pick["started"].date(),
                year=pick["started"].year,
                published_at=pm.published_at,
            )
            for pm, incident, pick, text in zip(postmortems, incidents, picks, texts, strict=True)
        )
        facets = []
        for entry, pick in zip(entries, picks, strict=True):
            sev = pick["severity"]
            facets += [
                EntryFacet(entry=entry, kind=FacetKind.TEAM, value=pick["team"].slug, label=pick["team"].name),
                EntryFacet(entry=entry, kind=FacetKind.SEVERITY, value=str(sev.level), label=sev.name),
                EntryFacet(entry=entry, kind=FacetKind.YEAR, value=str(entry.year), label=str(entry.year)),
            ]
            facets += [
                EntryFacet(entry=entry, kind=FacetKind.SERVICE, value=s.slug, label=s.name) for s in pick["services"]
            ]
            facets += [EntryFacet(entry=entry, kind=FacetKind.TAG, value=t.name, label=t.name) for t in pick["tags"]]
            facets += [
                EntryFacet(entry=entry, kind=FacetKind.CATEGORY, value=c, label=n) for c, n in pick["categories"]
            ]
        EntryFacet.objects.bulk_create(facets, batch_size=10_000)
