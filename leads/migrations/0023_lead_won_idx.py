"""lead_won_idx, for the ideal customer profile (reports.analysis.icp): the won sales by close
time with the contact, the amount, the offer, the upsell and the source, so that ranking a
period's customers by revenue reads the index alone, not a hundred thousand wide rows. Only won
leads are in it: a few in a hundred of the book, none of the hot path.

Built CONCURRENTLY on PostgreSQL (config.online_indexes), so a live book keeps taking writes;
elsewhere (SQLite) made as Django makes any index, without the INCLUDE columns.
"""

from django.db import migrations, models

from config.online_indexes import add_index, remove_index

INDEX = models.Index(
    fields=["closed_at"],
    include=["stage", "contact", "won_amount", "offer", "upsell_accepted", "source"],
    condition=models.Q(stage__in=["won", "customer"]),
    name="lead_won_idx",
)


def create(apps, schema_editor):
    add_index(schema_editor, apps.get_model("leads", "Lead"), INDEX)


def drop(apps, schema_editor):
    remove_index(schema_editor, INDEX.name)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("leads", "0022_outcome_indexes")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="lead", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
