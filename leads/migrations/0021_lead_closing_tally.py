"""lead.closing_tally: the score tally of a closed lead's interactions up to its close, and who
recorded which scripted answer, kept so that score analysis (reports.analysis) reads one small
value per outcome instead of every interaction the outcomes had (leads.scores writes it); and
lead.closing_profile, the contact's and company's profile when it closed (sales.services writes
it), so that analysis judges profile rules on what the score saw, without joining contacts.

Nullable and not backfilled: NULL means "read the interactions" (or the contact as it is now),
which the analyses still do for such leads; a publish's rescore or `manage.py
count_closing_tallies` counts the tally. Adding nullable columns with no default is a catalogue
change on PostgreSQL: no table rewrite.
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
        migrations.AddField(
            model_name="lead",
            name="closing_profile",
            field=models.JSONField(
                blank=True,
                editable=False,
                help_text="The contact's and company's profile (as the score reads it) when it last closed.",
                null=True,
            ),
        ),
    ]
