"""Tracked links carry fewer indexes: every e-mail writes three to five links, and each index is
written with each one (the nurture sweep's largest statement was this INSERT).

- lead: trackedlink_lead_idx (lead, purpose) already finds a lead's links; its own index goes.
- letter and offer: indexed only where set (an e-mail's links have no letter, most no offer);
  a letter's or an offer's links are found as before, deletes included.

The state changes here; the database's indexes change online (config.online_indexes): the
letter and offer indexes built CONCURRENTLY before the old ones are dropped, no foreign key
dropped and checked again.
"""

import django.db.models.deletion
from django.db import migrations, models

from config import online_indexes


COLUMNS = ("lead_id", "letter_id", "offer_id")  # their own indexes go
PARTIAL = (  # built first
    models.Index(fields=["letter"], name="trackedlink_letter_idx", condition=models.Q(letter__isnull=False)),
    models.Index(fields=["offer"], name="trackedlink_offer_idx", condition=models.Q(offer__isnull=False)),
)


def forwards(apps, schema_editor):
    online_indexes.to_partial(schema_editor, apps.get_model("tracking", "TrackedLink"), COLUMNS, PARTIAL)


def backwards(apps, schema_editor):
    online_indexes.from_partial(schema_editor, apps.get_model("tracking", "TrackedLink"), COLUMNS, PARTIAL)


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction
    dependencies = [
        ("campaigns", "0007_offer_landing_url"),
        ("followups", "0004_letterbatch_daily_alter_followup_kind_and_more"),
        ("leads", "0020_lead_score_tally"),
        ("tracking", "0002_pending_rescore"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
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
            ],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        )
    ]
