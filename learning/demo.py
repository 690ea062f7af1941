"""Demo library data for `manage.py seed_demo`: a few imported outside write-ups, follows, useful marks,
comments and reads (idempotent: imports update by key, the rest is get-or-create)."""

from typing import Any

from django.core.exceptions import ValidationError

from learning import services
from learning.indexing import reindex_all
from learning.models import EntryRead, LessonComment, LibraryEntry
from learning.postmortemfile import build_record

# Outside write-ups, as an importer would bring them in (organization set, owned by the Platform team).
EXTERNAL = [
    {
        "id": "demo-ext-dns-ttl",
        "title": "Resolver cache expiry turned a DNS provider blip into an hour-long outage",
        "date": "2024-06-18",
        "organization": "Example Cloud",
        "severity": "SEV2",
        "tags": ["dns", "dependency"],
        "categories": ["dependency", "configuration"],
        "source_url": "https://status.example.net/postmortems/dns-ttl",
        "summary": "The DNS provider answered slowly for six minutes. Our resolvers had a 60-second cache, so "
        "every service kept asking during the blip and queued requests until connection limits were hit.",
        "lessons": "Serve stale DNS answers when the upstream is slow; a short TTL is not free.",
        "body": "## Timeline\n\n- 09:02 provider latency rises\n- 09:08 provider recovers\n- 10:05 our error rate "
        "returns to normal after restarts\n\n## What went poorly\n\nRestarts emptied the remaining caches.",
    },
    {
        "id": "demo-ext-cert-chain",
        "title": "An intermediate certificate expired on the payment partner's side",
        "date": "2023-11-02",
        "organization": "Example Payments Ltd",
        "severity": "SEV3",
        "tags": ["tls", "certificates"],
        "categories": ["configuration", "detection-gap"],
        "summary": "Card authorizations failed for 25 minutes after an intermediate certificate expired at a "
        "partner; our client did not alert on certificate chains, only on leaf certificates.",
        "lessons": "Monitor the whole chain of every certificate we depend on, including partners'.",
    },
    {
        "id": "demo-ext-queue-retry",
        "title": "Retry storm after a queue consumer deploy doubled the backlog",
        "date": "2025-02-11",
        "organization": "Example Retail",
        "severity": "SEV2",
        "tags": ["queue", "retries"],
        "categories": ["change", "capacity"],
        "summary": "A consumer deploy shortened the retry delay; failed messages were retried at once and the "
        "backlog grew faster than consumers could drain it.",
        "lessons": "Retries need jitter and a budget; test them at peak load before shipping.",
    },
]

# Older internal postmortems, as if brought over from the wiki the teams used before opsx.
INTERNAL = [
    {
        "id": "demo-wiki-search-reindex",
        "title": "Full reindex starved the Search API of database connections",
        "date": "2024-09-03",
        "team": "search",
        "services": ["search-api", "indexer"],
        "severity": "SEV2",
        "tags": ["database", "capacity"],
        "categories": ["capacity", "process"],
        "summary": "A scheduled full reindex opened as many database connections as the query path, and search "
        "latency went above five seconds for 40 minutes.",
        "lessons": "Batch jobs get their own connection pool, sized so that serving traffic always has room.",
    },
    {
        "id": "demo-wiki-payouts-batch",
        "title": "Payout batch ran twice after a failover",
        "date": "2024-04-22",
        "team": "payments",
        "services": ["payouts"],
        "severity": "SEV1",
        "tags": ["database", "failover", "idempotency"],
        "categories": ["software-defect", "detection-gap"],
        "summary": "The payouts scheduler lost its lock during a database failover and a second node started the "
        "same batch; 312 merchants were paid twice before the duplicate was noticed.",
        "lessons": "Every money-moving job needs an idempotency key checked at the bank boundary, not only a lock.",
    },
    {
        "id": "demo-wiki-login-rate-limit",
        "title": "Login rate limiter blocked a whole office behind one NAT address",
        "date": "2025-01-14",
        "team": "identity",
        "services": ["login"],
        "severity": "SEV3",
        "tags": ["rate-limiting"],
        "categories": ["configuration"],
        "summary": "A new per-address limit treated 900 colleagues behind one NAT as a single client and locked "
        "them out for an hour.",
        "lessons": "Rate limits need a per-account dimension and an allowlist for known shared egress addresses.",
    },
]

FOLLOWS = [("bob", "tag", "database"), ("bob", "category", "detection-gap"), ("alice", "service", "checkout-api")]
COMMENTS = [
    ("dave", "Search hit the same pool limit last spring; we now alert at 80% pool use."),
    ("grace", "Could the canary stage cover config repositories too? Platform can help."),
]


def seed(org: dict[str, Any]) -> None:
    people = org["people"]
    reindex_all()  # the incidents demo published postmortems before this app's index existed in the run
    options = services.ImportOptions(default_team=org["teams"]["platform"], unknown_tags="create")
    records = [("demo", index, build_record(data)) for index, data in enumerate(EXTERNAL + INTERNAL, start=1)]
    services.import_records(records=records, actor=None, options=options)
    for username, kind, value in FOLLOWS:
        try:
            services.follow_add(user=people[username], kind=kind, value=value)
        except ValidationError:
            continue  # the incidents demo did not create that tag or service
    entries = list(LibraryEntry.objects.filter(restricted=False).order_by("severity_level", "-occurred_on")[:4])
    if not entries:
        return
    first = entries[0]
    for username in ("bob", "carol", "dave", "erin", "grace"):
        services.useful_mark(entry=first, user=people[username])
    if not LessonComment.objects.filter(entry=first).exists():
        for username, body in COMMENTS:
            services.comment_add(entry=first, author=people[username], body=body)
    for index, entry in enumerate(entries):
        for username in ("alice", "bob", "carol", "dave", "erin", "frank", "grace")[: 7 - index * 2]:
            if not EntryRead.objects.filter(entry=entry, user=people[username]).exists():
                services.entry_record_read(entry=entry, user=people[username])
