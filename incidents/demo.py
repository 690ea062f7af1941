"""Demo incidents, postmortems and action items for `manage.py seed_demo` (idempotent)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from incidents import services
from incidents.defaults import ensure_factor_categories, ensure_severities
from incidents.models import ActionItem, Incident, Postmortem, TimelineEntry

M = timedelta(minutes=1)
WONT_DO_REASON = "The bank offers no such contract; the certificate inventory alert covers the risk instead."

# Each incident: fields, timeline notes (minutes after start, kind, text), postmortem stage and content, action items.
INCIDENTS: list[dict[str, Any]] = [
    {
        "external_id": "DEMO-1001",
        "title": "Checkout API returned 502s after a connection pool change",
        "severity": 1,
        "status": Incident.Status.CLOSED,
        "team": "payments",
        "services": ["checkout-api", "k8s-platform"],
        "commander": "alice",
        "days_ago": 21,
        "times": {"detected": 4, "acknowledged": 7, "mitigated": 38, "resolved": 55},
        "impact_description": "About 18% of checkout attempts failed for 38 minutes; customers saw 'payment failed'.",
        "users_affected": 42000,
        "requests_affected": 310000,
        "pager_id": "PD-Q1X9",
        "ticket_url": "https://tickets.example.com/INC-1001",
        "tags": ["database", "config-change"],
        "timeline": [
            (4, "note", "Error-rate alert fired for Checkout API (5xx above 5% for 3 minutes)."),
            (9, "decision", "Declared SEV1: card checkout failing across web and mobile."),
            (21, "note", "Connection pool exhausted on every pod; the database itself was healthy."),
            (33, "action", "Rolled back the pool size change from 40 to 8 connections per pod."),
            (38, "note", "Error rate back under 0.1%."),
        ],
        "postmortem": {
            "stage": Postmortem.Status.PUBLISHED,
            "reviewers": ["carol", "erin"],
            "summary": "A configuration change lowered the database connection pool per pod from 40 to 8. Under "
            "the evening peak, requests queued for connections and timed out at the load balancer, so 18% of "
            "checkouts failed for 38 minutes until the change was rolled back.",
            "impact": "- 42,000 customers saw a failed payment at least once\n- ~310,000 requests answered 502\n"
            "- Estimated 2,100 abandoned orders",
            "detection": "The 5xx alert fired four minutes after the deploy. The pool saturation metric existed "
            "but had no alert, so the first ten minutes went to ruling out the database.",
            "response": "The commander paged the platform on-call to rule out the mesh. Rolling back the config "
            "took five minutes once the pool was suspected; the rollback path worked as designed.",
            "went_well": "- The rollback was a single command\n- Status page updated within 12 minutes",
            "went_poorly": "- The pool setting lives in a different repository from the service\n"
            "- Config changes skip the canary stage that code changes go through",
            "lucky": "The change went out at 18:40, not at the 20:00 peak.",
            "lessons": "Configuration is code: it needs the same canary and review as a deploy.",
            "factors": [
                {"category": "change", "description": "Pool size change shipped without a canary stage."},
                {"category": "detection-gap", "description": "No alert on connection pool saturation."},
                {"category": "configuration", "description": "Pool size is set far from the service it affects."},
            ],
        },
        "actions": [
            ("Route config changes through the canary stage", "platform", "carol", ActionItem.Status.DONE, 5),
            ("Alert on connection pool saturation above 80%", "payments", "bob", ActionItem.Status.IN_PROGRESS, 9),
            ("Move pool settings into the checkout-api repository", "payments", "alice", ActionItem.Status.OPEN, 30),
        ],
    },
    {
        "external_id": "DEMO-1002",
        "title": "Merchant payouts delayed six hours: bank SFTP certificate expired",
        "severity": 2,
        "status": Incident.Status.RESOLVED,
        "team": "payments",
        "services": ["payouts"],
        "commander": "bob",
        "days_ago": 9,
        "times": {"detected": 95, "acknowledged": 110, "mitigated": 330, "resolved": 360},
        "impact_description": "Payouts to 1,900 merchants arrived six hours late; no money was lost.",
        "users_affected": 1900,
        "tags": ["certificates", "third-party"],
        "timeline": [
            (95, "note", "Merchant support reported payouts missing from the morning batch."),
            (140, "note", "Bank SFTP rejected our client certificate: expired at 02:00 UTC."),
            (300, "action", "New certificate issued and exchanged with the bank."),
            (330, "note", "Batch re-sent and accepted."),
        ],
        "postmortem": {
            "stage": Postmortem.Status.IN_REVIEW,
            "reviewers": ["carol", "frank"],
            "summary": "The client certificate we use for the bank's SFTP endpoint expired overnight. The payout "
            "batch failed silently and merchants were paid six hours late.",
            "impact": "1,900 merchants were paid late; 140 support tickets.",
            "detection": "Customers told us. The batch job logged the TLS failure but exited 0.",
            "response": "Issuing a new certificate needed a bank contact who was only reachable after 09:00.",
            "went_well": "Finance had a ready template for the merchant notice.",
            "went_poorly": "The certificate was not in our certificate inventory, so no renewal reminder existed.",
            "lucky": "It was a weekday; on a weekend the bank contact would not have answered.",
            "lessons": "Certificates we hold for partners need the same inventory and alerts as our own.",
            "factors": [
                {"category": "configuration", "description": "Partner certificate missing from the inventory."},
                {"category": "detection-gap", "description": "Batch job reported success when the upload failed."},
            ],
        },
        "actions": [
            ("Make the payout job exit non-zero when the upload fails", "payments", "bob", ActionItem.Status.OPEN, -2),
            ("Add partner certificates to the expiry inventory", "identity", "frank", ActionItem.Status.OPEN, 14),
            ("Negotiate a 24/7 bank contact", "payments", "alice", ActionItem.Status.WONT_DO, 20),
        ],
    },
    {
        "external_id": "DEMO-1003",
        "title": "Search results stale for two hours: indexer consumer lag",
        "severity": 2,
        "status": Incident.Status.RESOLVED,
        "team": "search",
        "services": ["indexer", "search-api"],
        "commander": "dave",
        "days_ago": 3,
        "times": {"detected": 40, "acknowledged": 46, "mitigated": 115, "resolved": 130},
        "impact_description": "New and repriced products did not show up in search for up to two hours.",
        "tags": ["kafka", "capacity"],
        "timeline": [
            (40, "note", "Consumer lag alert on the catalogue topic (lag above 500k)."),
            (70, "decision", "Scale the indexer from 4 to 12 consumers rather than skip messages."),
            (115, "note", "Lag back to normal."),
        ],
        "postmortem": {
            "stage": Postmortem.Status.DRAFT,
            "summary": "A bulk repricing job produced ten times the usual catalogue events; the indexer could "
            "not keep up and search served stale prices for up to two hours.",
            "factors": [{"category": "capacity", "description": "Indexer has a fixed consumer count."}],
        },
        "actions": [
            ("Autoscale indexer consumers on lag", "search", "dave", ActionItem.Status.IN_PROGRESS, 10),
            ("Ask the pricing team to throttle bulk repricing", "search", "dave", ActionItem.Status.OPEN, 7),
        ],
    },
    {
        "external_id": "DEMO-1004",
        "title": "Elevated p99 latency on Search API after ranking model rollout",
        "severity": 3,
        "status": Incident.Status.MONITORING,
        "team": "search",
        "services": ["search-api"],
        "commander": "dave",
        "days_ago": 0,
        "hours_ago": 5,
        "times": {"detected": 12, "acknowledged": 15, "mitigated": 80},
        "impact_description": "p99 latency went from 180 ms to 900 ms; some searches timed out on mobile.",
        "tags": ["latency"],
        "timeline": [(20, "note", "Latency started with the 10% rollout of ranking model v7.")],
        "actions": [],
    },
    {
        "external_id": "DEMO-1005",
        "title": "Deploy pipeline stuck at the canary stage",
        "severity": 4,
        "status": Incident.Status.IDENTIFIED,
        "team": "platform",
        "services": ["deploy-pipeline"],
        "commander": "carol",
        "days_ago": 0,
        "hours_ago": 2,
        "times": {"detected": 10, "acknowledged": 25},
        "impact_description": "No customer impact; deploys for all teams are queued.",
        "tags": ["ci"],
        "timeline": [(30, "note", "The canary analysis job cannot reach the metrics backend after its upgrade.")],
        "actions": [],
    },
    {
        "external_id": "DEMO-1006",
        "title": "Near miss: log shipper disks reached 92%",
        "severity": 5,
        "status": Incident.Status.CLOSED,
        "team": "platform",
        "services": ["k8s-platform"],
        "commander": "grace",
        "days_ago": 12,
        "times": {"detected": 0, "acknowledged": 5, "mitigated": 40, "resolved": 45},
        "impact_description": "None; caught before logs were dropped.",
        "tags": ["capacity"],
        "timeline": [(40, "action", "Retention lowered from 7 to 3 days on the shipper buffer.")],
        "actions": [("Alert on shipper disk usage at 75%", "platform", "grace", ActionItem.Status.DONE, 3)],
    },
    {
        "external_id": "DEMO-1007",
        "title": "Fraud scoring timeouts for a subset of card BINs",
        "severity": 3,
        "status": Incident.Status.INVESTIGATING,
        "team": "payments",
        "services": ["fraud-scoring"],
        "commander": "alice",
        "days_ago": 0,
        "hours_ago": 1,
        "times": {"detected": 6},
        "impact_description": "Some card payments fall back to the slower rules engine.",
        "tags": ["latency"],
        "timeline": [],
        "actions": [],
    },
    {
        "external_id": "DEMO-1008",
        "title": "Credential stuffing against the login endpoint",
        "severity": 1,
        "status": Incident.Status.RESOLVED,
        "team": "identity",
        "services": ["login"],
        "commander": "frank",
        "restricted": True,
        "access_list": ["frank"],
        "days_ago": 5,
        "times": {"detected": 15, "acknowledged": 18, "mitigated": 70, "resolved": 240},
        "impact_description": "About 300 accounts logged into with reused passwords before rate limits tightened.",
        "users_affected": 300,
        "tags": ["security"],
        "timeline": [
            (15, "note", "Login failure rate 40x normal from a residential proxy network."),
            (60, "action", "Per-account and per-ASN rate limits tightened; forced resets for affected accounts."),
        ],
        "postmortem": {
            "stage": Postmortem.Status.DRAFT,
            "summary": "Restricted. An attacker replayed leaked credentials; rate limits were per-IP only.",
            "factors": [{"category": "security", "description": "Rate limiting keyed only on source IP."}],
        },
        "actions": [("Rate-limit login per account and per ASN", "identity", "frank", ActionItem.Status.OPEN, 4)],
    },
]


def _times(start: Any, offsets: dict[str, int]) -> dict[str, Any]:
    return {f"{name}_at": start + offset * M for name, offset in offsets.items()}


def _seed_incident(spec: dict[str, Any], org: dict[str, Any], severities: dict[int, Any]) -> None:
    people, teams, systems = org["people"], org["teams"], org["systems"]
    now = timezone.now()
    start = now - timedelta(days=spec["days_ago"], hours=spec.get("hours_ago", 3))
    actor = people[spec["commander"]]
    incident = services.incident_create(
        actor=actor,
        team=teams[spec["team"]],
        title=spec["title"],
        severity=severities[spec["severity"]],
        services=[systems[s] for s in spec["services"]],
        tags=spec["tags"],
        access_list=[people[p] for p in spec.get("access_list", [])],
        status=spec["status"],
        commander=actor,
        started_at=start,
        external_id=spec["external_id"],
        restricted=spec.get("restricted", False),
        impact_description=spec["impact_description"],
        users_affected=spec.get("users_affected"),
        requests_affected=spec.get("requests_affected"),
        pager_id=spec.get("pager_id", ""),
        ticket_url=spec.get("ticket_url", ""),
        **_times(start, spec["times"]),
    )
    TimelineEntry.objects.filter(incident=incident).update(occurred_at=incident.detected_at or start)
    for minutes, kind, body in spec["timeline"]:
        services.timeline_entry_add(
            incident=incident, actor=actor, kind=kind, body=body, occurred_at=start + minutes * M
        )
    if pm_spec := spec.get("postmortem"):
        postmortem = services.postmortem_start(incident=incident, actor=actor)
        content = {k: v for k, v in pm_spec.items() if k not in ("stage", "reviewers")}
        content["timeline"] = services.timeline_markdown(incident)
        postmortem = services.postmortem_save(
            postmortem=postmortem, actor=actor, data=content, expected_version=postmortem.version
        )
        if pm_spec["stage"] != Postmortem.Status.DRAFT:
            reviewers = [people[p] for p in pm_spec["reviewers"]]
            postmortem = services.postmortem_submit(postmortem=postmortem, actor=actor, reviewers=reviewers)
            comment = services.postmortem_comment_add(
                postmortem=postmortem,
                actor=reviewers[0],
                section="detection",
                body="Could we say which signal would have caught this first? That tells us what to alert on.",
            )
    for title, team_slug, owner, status, due_in_days in spec["actions"]:
        # The owner records it: the item's team is often not the commander's. Some demo items are overdue.
        item = services.action_item_create(
            actor=people[owner],
            team=teams[team_slug],
            title=title,
            origin=ActionItem.Origin.POSTMORTEM if spec.get("postmortem") else ActionItem.Origin.INCIDENT,
            owner=people[owner],
            priority=ActionItem.Priority.P2 if spec["severity"] <= 2 else ActionItem.Priority.P3,
            due_date=timezone.localdate() + timedelta(days=due_in_days),
            incident=incident,
            source=getattr(incident, "postmortem", None) or incident,
            tracker_url=f"https://tickets.example.com/ACT-{incident.pk}{len(title)}",
            allow_past_due=True,
        )
        if status != ActionItem.Status.OPEN:
            reason = (
                "The bank offers no such contract; the inventory alert covers the risk." if status == "wont_do" else ""
            )
            services.action_item_set_status(item=item, actor=people[owner], status=status, reason=reason)
    if pm_spec and pm_spec["stage"] == Postmortem.Status.PUBLISHED:
        # The review as people do it: the author answers the comment, a reviewer approves, a lead publishes.
        services.postmortem_comment_resolve(comment=comment, actor=actor)
        services.postmortem_approve(postmortem=postmortem, actor=reviewers[0])
        services.postmortem_publish(postmortem=postmortem, actor=people["alice"])


def seed(org: dict[str, Any]) -> None:
    """Create the demo incidents once (each is keyed by its external id)."""
    severities = ensure_severities()
    ensure_factor_categories()
    for spec in INCIDENTS:
        if not Incident.objects.filter(external_id=spec["external_id"]).exists():
            _seed_incident(spec, org, severities)
