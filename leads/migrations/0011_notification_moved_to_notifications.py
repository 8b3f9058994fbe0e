# Notification now lives in the `notifications` app (its migration 0001 takes the table over).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0010_lead_inquired_at_first_hot_at"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Notification")],
            database_operations=[],
        ),
    ]
