"""Who enrolled a lead by hand and who took one out: indexed only where set. Most enrolments
come from a trigger and end by themselves, and every step the sweep moves an enrolment on wrote
an entry of nobody into both indexes (an enrolment's update is never HOT: due_at is indexed).

The state changes here; the database's indexes change online (config.online_indexes).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config import online_indexes


COLUMNS = ("enrolled_by_id", "ended_by_id")  # their own indexes go
PARTIAL = (  # built first
    models.Index(fields=["enrolled_by"], condition=models.Q(enrolled_by__isnull=False), name="enrolment_staff_idx"),
    models.Index(fields=["ended_by"], condition=models.Q(ended_by__isnull=False), name="enrolment_ended_by_idx"),
)


def forwards(apps, schema_editor):
    online_indexes.to_partial(schema_editor, apps.get_model("nurture", "Enrolment"), COLUMNS, PARTIAL)


def backwards(apps, schema_editor):
    online_indexes.from_partial(schema_editor, apps.get_model("nurture", "Enrolment"), COLUMNS, PARTIAL)


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction


    dependencies = [
        ('leads', '0020_lead_score_tally'),
        ('nurture', '0004_enrolment_ended_by'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='enrolment',
                    name='ended_by',
                    field=models.ForeignKey(blank=True, db_index=False, help_text='Who took the lead out by hand.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='enrolment',
                    name='enrolled_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddIndex(
                    model_name='enrolment',
                    index=models.Index(condition=models.Q(('enrolled_by__isnull', False)), fields=['enrolled_by'], name='enrolment_staff_idx'),
                ),
                migrations.AddIndex(
                    model_name='enrolment',
                    index=models.Index(condition=models.Q(('ended_by__isnull', False)), fields=['ended_by'], name='enrolment_ended_by_idx'),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        )
    ]
