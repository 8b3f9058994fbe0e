# The rules of engagement are one row with one default: the model's, written here once, so every
# reader (leads.engagement.rules_of_engagement) reads the row and none carries a fallback of its own.

from django.db import migrations, models

import leads.models


def create_the_row(apps, schema_editor):
    RulesOfEngagement = apps.get_model("leads", "RulesOfEngagement")
    if not RulesOfEngagement.objects.filter(pk=1).exists():
        RulesOfEngagement.objects.create(pk=1, required_facts=leads.models.default_required_facts())


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0011_notification_moved_to_notifications"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rulesofengagement",
            name="required_facts",
            field=models.JSONField(
                default=leads.models.default_required_facts,
                help_text="Any of inquiry_reason, desired_outcome, estimated_value.",
            ),
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop),
    ]
