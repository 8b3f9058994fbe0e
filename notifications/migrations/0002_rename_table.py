from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("leads", "0011_notification_moved_to_notifications"),
    ]

    operations = [
        migrations.AlterModelTable(name="notification", table=None),
    ]
