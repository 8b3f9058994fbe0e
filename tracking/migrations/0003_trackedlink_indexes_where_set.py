"""Tracked links carry fewer indexes: every e-mail writes three to five links, and each index is
written with each one (the nurture sweep's largest statement was this INSERT).

- lead: trackedlink_lead_idx (lead, purpose) already finds a lead's links; its own index goes.
- letter and offer: indexed only where set (an e-mail's links have no letter, most no offer);
  a letter's or an offer's links are found as before, deletes included.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_offer_landing_url"),
        ("followups", "0004_letterbatch_daily_alter_followup_kind_and_more"),
        ("leads", "0020_lead_score_tally"),
        ("tracking", "0002_pending_rescore"),
    ]

    operations = [
        migrations.AlterField(
            model_name="trackedlink",
            name="lead",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="leads.lead",
            ),
        ),
        migrations.AlterField(
            model_name="trackedlink",
            name="letter",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tracked_links",
                to="followups.letter",
            ),
        ),
        migrations.AlterField(
            model_name="trackedlink",
            name="offer",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="campaigns.offer",
            ),
        ),
        migrations.AddIndex(
            model_name="trackedlink",
            index=models.Index(
                condition=models.Q(("letter__isnull", False)), fields=["letter"], name="trackedlink_letter_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="trackedlink",
            index=models.Index(
                condition=models.Q(("offer__isnull", False)), fields=["offer"], name="trackedlink_offer_idx"
            ),
        ),
    ]
