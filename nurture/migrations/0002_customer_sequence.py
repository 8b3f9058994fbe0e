from django.db import migrations


def ship_customer_sequence(apps, schema_editor):
    from nurture.defaults import CUSTOMER_SEQUENCE

    Sequence = apps.get_model("nurture", "Sequence")
    Sequence.objects.get_or_create(name=CUSTOMER_SEQUENCE["name"], defaults=CUSTOMER_SEQUENCE)


class Migration(migrations.Migration):
    dependencies = [("nurture", "0001_initial")]

    operations = [migrations.RunPython(ship_customer_sequence, migrations.RunPython.noop)]
