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
