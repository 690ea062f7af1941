"""GIN index on the stored search vector, on PostgreSQL only (SQLite searches without it)."""

from django.db import migrations

INDEX = "learning_entry_search_gin"


def create_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON learning_libraryentry USING gin (search_vector)"
        )


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_library")]

    operations = [migrations.RunPython(create_gin, drop_gin, elidable=False)]
