from django.db import migrations


def seed(apps, schema_editor):
    from reviews.defaults import ensure_builtin_lens, ensure_tier_policies

    ensure_tier_policies(apps.get_model("reviews", "TierPolicy"))
    ensure_builtin_lens(apps.get_model("reviews", "Lens"), apps.get_model("reviews", "LensVersion"))


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
