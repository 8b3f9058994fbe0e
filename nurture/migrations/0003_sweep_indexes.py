# The step sweep reads a batch in the order (due_at, id): with id in the partial index, a batch is
# the index's first rows even when every enrolment falls due at once, not a sort of all of them.
# The foreign keys lose the indexes of their own that composite ones starting with them cover
# (enrolment_lead_idx, enrolment_sequence_idx, one_run_per_step): fewer entries to write each time
# the sweep moves an enrolment on or records a step.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("nurture", "0002_customer_sequence")]

    operations = [
        migrations.RemoveIndex(model_name="enrolment", name="enrolment_due_idx"),
        migrations.AddIndex(
            model_name="enrolment",
            index=models.Index(condition=models.Q(("status", "active")), fields=["due_at", "id"], name="enrolment_due_idx"),
        ),
        migrations.AlterField(
            model_name="enrolment",
            name="lead",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="enrolments", to="leads.lead"
            ),
        ),
        migrations.AlterField(
            model_name="enrolment",
            name="sequence",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="enrolments",
                to="nurture.sequence",
            ),
        ),
        migrations.AlterField(
            model_name="steprun",
            name="enrolment",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="runs", to="nurture.enrolment"
            ),
        ),
    ]
