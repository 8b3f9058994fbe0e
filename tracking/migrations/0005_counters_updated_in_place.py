"""The fold's counters are updated where they stand.

Every batch of hits adds to thousands of rows of Tally (per e-mail, letter and offer) and
LeadActivity (per lead and hour). A row updated on a full page is written anew with a new entry
in every index; with room left on its page (fillfactor 70, PostgreSQL) the update stays on the
page and no index is touched (a HOT update). LeadActivity also loses its index of lead alone:
one_activity_row_per_lead_hour (lead, hour) finds a lead's rows.
"""

import django.db.models.deletion
from django.db import migrations, models

from config import online_indexes

TABLES = ("tracking_tally", "tracking_leadactivity")


def room_on_each_page(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


def drop_lead_index(apps, schema_editor):
    online_indexes.to_partial(schema_editor, apps.get_model("tracking", "LeadActivity"), ("lead_id",))


def add_lead_index(apps, schema_editor):
    online_indexes.from_partial(schema_editor, apps.get_model("tracking", "LeadActivity"), ("lead_id",))


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0020_lead_score_tally"),
        ("tracking", "0004_hit_visitor_index_where_known"),
    ]

    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction
    operations = [
        migrations.SeparateDatabaseAndState(  # the index dropped online, the foreign key untouched
            state_operations=[
                migrations.AlterField(
                    model_name="leadactivity",
                    name="lead",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="leads.lead"
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_lead_index, add_lead_index, elidable=False)],
        ),
        migrations.RunPython(room_on_each_page, full_pages, elidable=False),
    ]
