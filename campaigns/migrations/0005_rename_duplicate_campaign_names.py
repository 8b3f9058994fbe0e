"""Before campaign names become unique in any case (0006), give every campaign whose name another,
older campaign already has (in any case) a free name of the form "Spring (2)", so that the
constraint can be added to a database that holds duplicates instead of the migration failing.
The oldest campaign of each name keeps it. Names are compared by the database's own lower(),
the very function the constraint uses."""

from django.db import migrations
from django.db.models import Count, Value
from django.db.models.functions import Lower

MAX_NAME = 200  # Campaign.name's max_length


def rename_duplicate_names(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    campaigns = Campaign.objects.using(schema_editor.connection.alias)

    def taken(name):
        return campaigns.alias(key=Lower("name")).filter(key=Lower(Value(name))).exists()

    duplicated = (
        campaigns.values(key=Lower("name")).annotate(n=Count("pk")).filter(n__gt=1).values_list("key", flat=True)
    )
    for key in list(duplicated):
        for campaign in list(campaigns.alias(key=Lower("name")).filter(key=key).order_by("pk"))[1:]:
            number = 2
            while True:
                suffix = f" ({number})"
                candidate = campaign.name[: MAX_NAME - len(suffix)] + suffix
                if not taken(candidate):
                    break
                number += 1
            campaign.name = candidate
            campaign.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_campaign_archived_and_constraint_messages"),
    ]

    operations = [
        migrations.RunPython(rename_duplicate_names, migrations.RunPython.noop, elidable=True),
    ]
