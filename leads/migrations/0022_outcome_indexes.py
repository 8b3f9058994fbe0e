"""lead_outcome_idx and lead_untallied_idx, for score analysis (reports.analysis): the closed
leads by close time with their stage and the two scores analysis bands them by (so counting a
period's outcomes and the calibration read the index alone, not a million wide rows), and those
still without a closing tally (so an analysis knows at once whether any outcome must be read from
its interactions). Both hold only closed leads: a few in ten of the book, none of the hot path.

Built CONCURRENTLY on PostgreSQL (config.online_indexes), so a live book keeps taking writes;
elsewhere (SQLite) made as Django makes any index, without the INCLUDE columns.
"""

from django.db import migrations, models

from config.online_indexes import add_index, remove_index

OUTCOMES = ("won", "customer", "unclosed", "dead")
INDEXES = (
    models.Index(
        fields=["closed_at"],
        include=["stage", "sales_ready_score", "inquiry_score"],
        condition=models.Q(stage__in=OUTCOMES),
        name="lead_outcome_idx",
    ),
    models.Index(
        fields=["closed_at"],
        condition=models.Q(stage__in=OUTCOMES, closing_tally__isnull=True),
        name="lead_untallied_idx",
    ),
)


def create(apps, schema_editor):
    model = apps.get_model("leads", "Lead")
    for index in INDEXES:
        add_index(schema_editor, model, index)


def drop(apps, schema_editor):
    for index in INDEXES:
        remove_index(schema_editor, index.name)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("leads", "0021_lead_closing_tally")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="lead", index=index) for index in INDEXES],
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
        )
    ]
