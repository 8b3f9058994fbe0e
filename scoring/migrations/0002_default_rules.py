"""A fresh install ships a published default rule set (scoring/defaults.py), version 1."""

from django.db import migrations
from django.utils import timezone


def publish_default_rules(apps, schema_editor):
    from scoring.defaults import DEFAULT_DEFINITION

    RuleSet = apps.get_model("scoring", "RuleSet")
    if not RuleSet.objects.exists():
        RuleSet.objects.create(
            version=1, status="published", definition=DEFAULT_DEFINITION,
            note="Default rules shipped with the product", published_at=timezone.now(),
        )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]
    operations = [migrations.RunPython(publish_default_rules, migrations.RunPython.noop)]
