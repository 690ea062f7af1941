from django.db import migrations


def seed(apps, schema_editor):
    from incidents.defaults import ensure_severities

    ensure_severities(apps.get_model("incidents", "Severity"))


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
