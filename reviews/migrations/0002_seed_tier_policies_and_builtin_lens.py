from django.db import migrations

from reviews import lensfile

TIER_DEFAULTS = [(1, 90, True), (2, 180, True), (3, 365, True), (4, 365, False)]


def seed(apps, schema_editor):
    TierPolicy = apps.get_model("reviews", "TierPolicy")
    for tier, days, external in TIER_DEFAULTS:
        TierPolicy.objects.get_or_create(
            tier=tier, defaults={"review_interval_days": days, "requires_external_signoff": external}
        )
    Lens = apps.get_model("reviews", "Lens")
    LensVersion = apps.get_model("reviews", "LensVersion")
    path = lensfile.builtin_lens_path()
    lens = lensfile.load(path.read_text(encoding="utf-8"), filename=path.name)
    if Lens.objects.filter(name=lens.name).exists():
        return
    row = Lens.objects.create(name=lens.name, slug="operational-readiness", description=lens.description, builtin=True)
    LensVersion.objects.create(
        lens=row,
        number=1,
        version_label=lens.version_label or "",
        fingerprint=lens.fingerprint(),
        document=lens.to_dict(),
        source_yaml=lensfile.dump(lens, fmt="yaml"),
        question_count=len(lens.questions()),
    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
