"""hit_visitor_idx only where a hit has a visitor (page views). An open or a click has none, and
each one wrote an entry of "" into the index: one index entry fewer for every open and click.
The fold's and erasure's lookups by visitor name a visitor, so they still read the index.

On PostgreSQL the hits table is partitioned and takes an INSERT for every open and click, so the
new index is built without holding them: made ON ONLY the parent, built CONCURRENTLY on each
partition and attached, then put in the old one's place (dropping a partitioned index is a
moment's lock, no scan). New months' partitions get it from the parent as they are made.
"""

from django.db import migrations, models

TABLE = "tracking_hit"
NAME = "hit_visitor_idx"
BUILDING = "hit_visitor_new_idx"
KNOWN = models.Index(fields=["visitor"], name=NAME, condition=~models.Q(visitor=""))
EVERY = models.Index(fields=["visitor"], name=NAME)


def _partitions(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [TABLE])
        return [name for (name,) in cursor.fetchall()]


def _rebuild(schema_editor, where: str, suffix: str) -> None:
    """The visitor index made again with `where`, partition by partition, writers never held
    (each partition's index named with `suffix`, its own for each direction)."""
    schema_editor.execute(f"DROP INDEX IF EXISTS {BUILDING}")  # an interrupted earlier run's
    schema_editor.execute(f"CREATE INDEX {BUILDING} ON ONLY {TABLE} (visitor) {where}")
    for partition in _partitions(schema_editor):
        child = f"{partition}_visitor_{suffix}"
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {child}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY {child} ON {partition} (visitor) {where}")
        schema_editor.execute(f"ALTER INDEX {BUILDING} ATTACH PARTITION {child}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")
    schema_editor.execute(f"ALTER INDEX {BUILDING} RENAME TO {NAME}")


def _swap(apps, schema_editor, old, new, where: str, suffix: str) -> None:
    """The visitor index `old` made `new`: on PostgreSQL rebuilt online with `where`."""
    if schema_editor.connection.vendor != "postgresql":
        hit = apps.get_model("tracking", "Hit")
        schema_editor.remove_index(hit, old)
        schema_editor.add_index(hit, new)
        return
    _rebuild(schema_editor, where, suffix)


def forwards(apps, schema_editor):
    _swap(apps, schema_editor, EVERY, KNOWN, "WHERE visitor <> ''", "known")


def backwards(apps, schema_editor):
    _swap(apps, schema_editor, KNOWN, EVERY, "", "every")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction
    dependencies = [("tracking", "0003_trackedlink_indexes_where_set")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="hit", name=NAME),
                migrations.AddIndex(model_name="hit", index=KNOWN),
            ],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        )
    ]
