# The follow-up scripts and the unclosed-prospect letter a fresh install ships with.

from django.db import migrations


def ship_defaults(apps, schema_editor):
    from followups.defaults import LETTER, SCRIPTS

    FollowUpScript = apps.get_model("followups", "FollowUpScript")
    LetterTemplate = apps.get_model("followups", "LetterTemplate")
    for script in SCRIPTS:
        FollowUpScript.objects.get_or_create(name=script["name"], defaults=script)
    LetterTemplate.objects.get_or_create(name=LETTER["name"], defaults=LETTER)


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0001_initial"),
    ]

    operations = [migrations.RunPython(ship_defaults, migrations.RunPython.noop)]
