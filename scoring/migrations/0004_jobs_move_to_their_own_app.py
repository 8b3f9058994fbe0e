# Job and JobSlice now belong to the jobs app (jobs.0001 takes them over, tables untouched).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0003_jobs'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='JobSlice'),
                migrations.DeleteModel(name='Job'),
            ],
        ),
    ]
