"""Defaults a fresh install starts with: tier policies and the built-in lens (both editable afterwards).

Used by the data migration (with historical models), by seed_demo and by tests, so they survive
transactional test flushes.
"""

from typing import Any

from reviews import lensfile

#: tier: (review interval in days, outside sign-off required for launch)
TIER_DEFAULTS = {1: (90, True), 2: (180, True), 3: (365, True), 4: (365, False)}
BUILTIN_SLUG = "operational-readiness"


def ensure_tier_policies(tier_policy_model: Any = None) -> None:
    if tier_policy_model is None:
        from reviews.models import TierPolicy as tier_policy_model
    for tier, (days, external) in TIER_DEFAULTS.items():
        tier_policy_model.objects.get_or_create(
            tier=tier, defaults={"review_interval_days": days, "requires_external_signoff": external}
        )


def ensure_builtin_lens(lens_model: Any = None, version_model: Any = None) -> Any:
    """Create the built-in lens's first version if there is no lens of that name yet; returns the Lens row."""
    if lens_model is None:
        from reviews.models import Lens as lens_model
        from reviews.models import LensVersion as version_model
    path = lensfile.builtin_lens_path()
    existing = lens_model.objects.filter(slug=BUILTIN_SLUG).first()
    if existing is not None:
        return existing
    lens = lensfile.load(path.read_text(encoding="utf-8"), filename=path.name)
    row = lens_model.objects.create(name=lens.name, slug=BUILTIN_SLUG, description=lens.description, builtin=True)
    version_model.objects.create(
        lens=row,
        number=1,
        version_label=lens.version_label or "",
        fingerprint=lens.fingerprint(),
        document=lens.to_dict(),
        source_yaml=lensfile.dump(lens, fmt="yaml"),
        question_count=len(lens.questions()),
    )
    return row


def ensure_defaults() -> None:
    ensure_tier_policies()
    ensure_builtin_lens()
