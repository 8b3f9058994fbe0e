from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0012_rules_of_engagement_row"),
    ]

    operations = [
        migrations.AlterField(
            model_name="handover",
            name="kind",
            field=models.CharField(
                choices=[
                    ("handover", "Handed over"),
                    ("claim", "Claimed"),
                    ("referral", "Took the referral"),
                    ("reassign", "Taken back: no response in time"),
                ],
                max_length=10,
            ),
        ),
    ]
