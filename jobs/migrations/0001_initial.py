# The Job and JobSlice models move here from scoring (scoring.0004 drops them from its state):
# the tables stay as they are; 0002 renames them.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('scoring', '0004_jobs_move_to_their_own_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Job',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(default='rescore', max_length=20)),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=10)),
                        ('params', models.JSONField(blank=True, default=dict)),
                        ('total', models.PositiveIntegerField(default=0)),
                        ('done', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True)),
                        ('failures', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-created_at'],
                        'db_table': 'scoring_job',
                        'indexes': [models.Index(fields=['status', 'heartbeat_at'], name='job_status_heartbeat_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='JobSlice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('first_id', models.BigIntegerField()),
                        ('last_id', models.BigIntegerField()),
                        ('cursor', models.BigIntegerField()),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='slices', to='jobs.job')),
                    ],
                    options={
                        'ordering': ['first_id'],
                        'db_table': 'scoring_jobslice',
                    },
                ),
            ],
        ),
    ]
