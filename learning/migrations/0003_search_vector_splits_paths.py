"""Recompute the stored search vectors: "/" now separates words ("s3/dynamodb" is found by "s3").

PostgreSQL only; the same expression as `learning.indexing.search_vector_expression`, written out so
that this migration keeps meaning what it meant when it was written.
"""

from django.db import migrations

STAND_IN = "\x01"  # learning.indexing.SEPARATOR_STAND_IN

SQL = """
UPDATE learning_libraryentry SET search_vector =
    setweight(to_tsvector('english'::regconfig, translate(coalesce(title, ''), '/', %(s)s)), 'A')
    || setweight(to_tsvector('english'::regconfig, translate(coalesce(summary, ''), '/', %(s)s)), 'B')
    || setweight(to_tsvector('english'::regconfig, translate(coalesce(lessons, ''), '/', %(s)s)), 'B')
    || setweight(to_tsvector('english'::regconfig, translate(coalesce(body, ''), '/', %(s)s)), 'C')
"""


def recompute(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, {"s": STAND_IN})


class Migration(migrations.Migration):
    dependencies = [("learning", "0002_search_vector_gin")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop, elidable=True)]
