"""Organization defaults that a fresh install starts with (editable afterwards)."""

SEVERITIES = [
    (1, "SEV1", "Critical: a core customer journey is down or data is at risk for many customers. "
                "All hands; executive updates.", True),
    (2, "SEV2", "Major: a core journey is badly degraded, or a feature is down for a large share of customers.",
     True),
    (3, "SEV3", "Minor: a non-core feature is degraded, or a small share of customers is affected; "
                "a workaround exists.", False),
    (4, "SEV4", "Low: little or no customer impact; internal tooling or redundancy is degraded.", False),
    (5, "SEV5", "Informational: a near miss or a cosmetic issue worth recording and learning from.", False),
]  # fmt: skip


def ensure_severities(severity_model=None) -> dict:  # type: ignore[no-untyped-def]
    """Create SEV1..SEV5 if missing; returns {level: Severity}. Used by the data migration and tests."""
    if severity_model is None:
        from incidents.models import Severity as severity_model
    out = {}
    for level, name, description, requires_postmortem in SEVERITIES:
        out[level], _ = severity_model.objects.get_or_create(
            level=level, defaults={"name": name, "description": description, "requires_postmortem": requires_postmortem}
        )
    return out


FACTOR_CATEGORIES = [
    ("change", "Change", "A deploy, migration, feature flag or other change to production."),
    ("configuration", "Configuration", "A setting, limit, certificate or secret that was wrong or expired."),
    ("capacity", "Capacity", "Load beyond what a component was sized or scaled for."),
    ("dependency", "Dependency", "An internal or third-party service we rely on misbehaved."),
    ("software-defect", "Software defect", "A bug in code we own."),
    ("hardware", "Hardware", "A failed disk, host, network device or zone."),
    ("process", "Process", "A runbook, handover, review or on-call practice that did not help enough."),
    ("detection-gap", "Detection gap", "Monitoring or alerting that was missing, late or too noisy to notice."),
    ("data", "Data", "Unexpected, malformed or inconsistent data."),
    ("security", "Security", "Abuse, a vulnerability or an access-control weakness."),
]

# Guidance above each postmortem section. The organization edits it in the admin (OrgSettings).
POSTMORTEM_GUIDANCE = {
    "summary": "Two or three sentences a newcomer can follow: what broke, for whom, for how long, and how it "
    "ended. Describe what the system did, not who did what.",
    "impact": "Who noticed and how much: customers, requests, money, data, internal teams. Use numbers where you "
    "have them and say where they came from.",
    "timeline": "Pulled from the incident when this postmortem started; correct and complete it. Keep it factual: "
    "times, signals, decisions and their reasons.",
    "factors": "The conditions that made this possible. There is rarely one root cause: list every factor that "
    "contributed, and ask 'why did the system allow this?' rather than 'who did this?'.",
    "detection": "How did we find out, and how long did it take? What signal would have told us sooner?",
    "response": "How we diagnosed and mitigated it. What slowed us down: access, tooling, runbooks, context?",
    "went_well": "Practices, tools and safeguards that limited the damage and are worth keeping.",
    "went_poorly": "Where the system, our tools or our processes made the work harder. People acted reasonably "
    "with what they knew at the time; write about what they could not see.",
    "lucky": "Things that helped by chance and will not help next time. Each one is a risk to address.",
    "lessons": "What we understand now that we did not before. Link the action items that follow from it.",
}


def ensure_factor_categories(category_model=None) -> None:  # type: ignore[no-untyped-def]
    if category_model is None:
        from incidents.models import FactorCategory as category_model
    for position, (slug, name, description) in enumerate(FACTOR_CATEGORIES):
        category_model.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
