from django.db import migrations


def seed(apps, schema_editor):
    from incidents.defaults import ensure_factor_categories

    ensure_factor_categories(apps.get_model("incidents", "FactorCategory"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_postmortems_org_settings_idempotency")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
