"""interaction_answered_idx: each lead's answered interactions by time (those whose `answers` is
not the empty list), for the score analysis (reports.analysis.answers), which reads an outcome
lead's answers up to its close. Answered interactions are a few in ten of a lead's, so the
analysis no longer reads every interaction of 200,000 outcome leads to find them.

The index is in the model's Meta (the state); on PostgreSQL it is built CONCURRENTLY (hence not
atomic), like 0007's, so a live book of ten million interactions keeps taking writes while it
builds; elsewhere (SQLite) it is made as Django makes any index.
"""

from django.db import migrations, models

NAME = "interaction_answered_idx"
INDEX = models.Index(fields=["lead", "occurred_at"], condition=~models.Q(answers=[]), name=NAME)


def create(apps, schema_editor):
    model = apps.get_model("leads", "Interaction")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(model, INDEX)
        return
    with schema_editor.connection.cursor() as cursor:  # a build that was interrupted leaves an INVALID index
        cursor.execute(
            "SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = %s AND NOT i.indisvalid",
            [NAME],
        )
        if cursor.fetchone():
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
    schema_editor.add_index(model, INDEX, concurrently=True)


def drop(apps, schema_editor):
    model = apps.get_model("leads", "Interaction")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(model, INDEX)
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("leads", "0018_scores_when_they_counted")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="interaction", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
