"""lead.closing_tally: the score tally of a closed lead's interactions up to its close, and who
recorded which scripted answer, kept so that score analysis (reports.analysis) reads one small
value per outcome instead of every interaction the outcomes had (leads.scores writes it).

Nullable and not backfilled: NULL means "read the interactions", which the analyses still do for
such leads; a lead's next full rescore (a publish's, `manage.py rescore`) counts it. Adding a
nullable column with no default is a catalogue change on PostgreSQL: no table rewrite.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("leads", "0020_lead_score_tally")]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="closing_tally",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text='The tally up to closed_at, plus "answered": [[question, author id, answer, n], ...].',
                null=True,
            ),
        ),
    ]
