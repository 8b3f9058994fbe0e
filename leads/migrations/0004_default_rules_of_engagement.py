"""A fresh install's rules of engagement: inquiry reason and desired outcome recorded (seed 001)."""

from django.db import migrations


def create_rules(apps, schema_editor):
    RulesOfEngagement = apps.get_model("leads", "RulesOfEngagement")
    if not RulesOfEngagement.objects.exists():
        RulesOfEngagement.objects.create(
            pk=1, required_facts=["inquiry_reason", "desired_outcome"], hot_response_minutes=60,
            reassign_after_minutes=240,
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0003_sales_workflow")]
    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
