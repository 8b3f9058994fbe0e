"""Three indexes a composite index already begins with, dropped: every index a lead or an
interaction carries is paid again on each write (a capture, a score, the tracking fold's
interactions by the hundred thousand). Lookups by a lead's contact use lead_contact_stage_idx,
by its owner lead_owner_stage_idx, an interaction's by its lead interaction_lead_time_idx.

Dropped CONCURRENTLY on PostgreSQL with the foreign keys untouched (config.online_indexes):
Django's own AlterField(db_index=False) would drop and re-add each constraint, checking every row
while both tables refuse writes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.online_indexes import add_field_index, drop_field_index

COLUMNS = (("Lead", "contact_id"), ("Lead", "owner_id"), ("Interaction", "lead_id"))


def drop(apps, schema_editor):
    for model, column in COLUMNS:
        drop_field_index(schema_editor, apps.get_model("leads", model), column)


def make_again(apps, schema_editor):
    for model, column in COLUMNS:
        add_field_index(schema_editor, apps.get_model("leads", model), column)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [
        ("crm", "0009_contact_duplicate_keys"),
        ("leads", "0023_lead_won_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="lead",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions",
                        to="leads.lead",
                    ),
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="leads",
                        to="crm.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="owned_leads",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, make_again, elidable=False)],
        )
    ]
