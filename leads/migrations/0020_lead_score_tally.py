"""lead.score_tally: what the score needs of a lead's interactions (per-rule counts under one rules
version, the latest answer to each question), kept as interactions are logged so a rescore on
one interaction does not reread the lead's whole history (leads.scores).

Nullable and not backfilled: NULL means "count it from the interactions at the next rescore",
which every lead's next logged interaction or bulk rescore does. Adding a nullable column with no
default is a catalogue change on PostgreSQL: no table rewrite, however many leads.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("leads", "0019_interaction_answered_idx")]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="score_tally",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text='{"version": rules version, "counts": {rule: n}, "answers": {question: [answer, at, id]}}',
                null=True,
            ),
        ),
    ]
