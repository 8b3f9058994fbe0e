"""The scoreboard's rollups, and the triggers that mark a lead's quarter stale whenever a figure
the scoreboard reads about it changes (reports.models). Triggers, not the services, because
every way a lead changes must be caught: services, bulk UPDATEs, imports, merges, erasure."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# What a lead's row holds that some rollup counts: a change to any of them makes its day stale.
WATCHED = (
    "inquired_at owner_id stage source utm_source campaign_id offer_id placement_id bought_list_id won_amount "
    "upsell_accepted upsell_amount sales_ready_at first_hot_at hot_response_seconds sales_cycle_days"
).split()


def _changed(least: str) -> str:
    watched = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    return f"{watched} OR {least}(OLD.score / 10, 9) <> {least}(NEW.score / 10, 9)"


POSTGRESQL = f"""
CREATE FUNCTION reports_mark_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    at timestamptz;
BEGIN
    IF TG_TABLE_NAME = 'leads_leadfeedback' THEN
        SELECT inquired_at INTO at FROM leads_lead
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.lead_id ELSE NEW.lead_id END;
        IF at IS NOT NULL THEN
            INSERT INTO reports_stalequarter (quarter) VALUES (floor(extract(epoch FROM at) / 900)::bigint)
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.inquired_at IS NOT NULL THEN
        INSERT INTO reports_stalequarter (quarter) VALUES (floor(extract(epoch FROM OLD.inquired_at) / 900)::bigint)
        ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.inquired_at IS NOT NULL THEN
        INSERT INTO reports_stalequarter (quarter) VALUES (floor(extract(epoch FROM NEW.inquired_at) / 900)::bigint)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reports_lead_added AFTER INSERT OR DELETE ON leads_lead
    FOR EACH ROW EXECUTE FUNCTION reports_mark_stale();
CREATE TRIGGER reports_lead_changed AFTER UPDATE ON leads_lead
    FOR EACH ROW WHEN ({_changed("LEAST")}) EXECUTE FUNCTION reports_mark_stale();
CREATE TRIGGER reports_feedback_changed AFTER INSERT OR UPDATE OR DELETE ON leads_leadfeedback
    FOR EACH ROW EXECUTE FUNCTION reports_mark_stale();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER reports_feedback_changed ON leads_leadfeedback;
DROP TRIGGER reports_lead_changed ON leads_lead;
DROP TRIGGER reports_lead_added ON leads_lead;
DROP FUNCTION reports_mark_stale();
"""


def _sqlite_quarter(at: str) -> str:
    return f"INSERT OR IGNORE INTO reports_stalequarter (quarter) SELECT CAST(strftime('%s', {at}) AS INTEGER) / 900 WHERE {at} IS NOT NULL;"


FEEDBACK_AT = "(SELECT inquired_at FROM leads_lead WHERE id = {row}.lead_id)"
SQLITE = [
    f"CREATE TRIGGER reports_lead_inserted AFTER INSERT ON leads_lead BEGIN {_sqlite_quarter('NEW.inquired_at')} END",
    f"CREATE TRIGGER reports_lead_deleted AFTER DELETE ON leads_lead BEGIN {_sqlite_quarter('OLD.inquired_at')} END",
    f"CREATE TRIGGER reports_lead_changed AFTER UPDATE ON leads_lead WHEN {_changed('MIN')} BEGIN "
    f"{_sqlite_quarter('OLD.inquired_at')} {_sqlite_quarter('NEW.inquired_at')} END",
    "CREATE TRIGGER reports_feedback_inserted AFTER INSERT ON leads_leadfeedback BEGIN "
    f"{_sqlite_quarter(FEEDBACK_AT.format(row='NEW'))} END",
    "CREATE TRIGGER reports_feedback_changed AFTER UPDATE ON leads_leadfeedback BEGIN "
    f"{_sqlite_quarter(FEEDBACK_AT.format(row='OLD'))} {_sqlite_quarter(FEEDBACK_AT.format(row='NEW'))} END",
    "CREATE TRIGGER reports_feedback_deleted AFTER DELETE ON leads_leadfeedback BEGIN "
    f"{_sqlite_quarter(FEEDBACK_AT.format(row='OLD'))} END",
]
SQLITE_REVERSE = [
    f"DROP TRIGGER {name}"
    for name in (
        "reports_lead_inserted reports_lead_deleted reports_lead_changed reports_feedback_inserted "
        "reports_feedback_changed reports_feedback_deleted"
    ).split()
]


def add_triggers(apps, schema_editor):
    for statement in {"postgresql": [POSTGRESQL], "sqlite": SQLITE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    for statement in {"postgresql": [POSTGRESQL_REVERSE], "sqlite": SQLITE_REVERSE}.get(
        schema_editor.connection.vendor, []
    ):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("leads", "0019_interaction_answered_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name='CountingDay',
            fields=[
                ('day', models.DateField(primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name='RollupState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('zone', models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='StaleQuarter',
            fields=[
                ('quarter', models.BigIntegerField(primary_key=True, serialize=False)),
            ],
        ),
        migrations.CreateModel(
            name='CohortSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('grouping', models.CharField(max_length=16)),
                ('value', models.CharField(blank=True, help_text='The id, or the UTM source in lower case.', max_length=100)),
                ('leads', models.IntegerField(default=0)),
                ('won', models.IntegerField(default=0)),
                ('revenue', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('rating_total', models.IntegerField(default=0)),
                ('ratings', models.IntegerField(default=0)),
            ],
            options={
                'indexes': [models.Index(fields=['day', 'grouping'], name='cohortsource_day_idx')],
            },
        ),
        migrations.CreateModel(
            name='CohortDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('leads', models.IntegerField(default=0)),
                ('inquiries', models.IntegerField(default=0)),
                ('sales_ready', models.IntegerField(default=0)),
                ('won', models.IntegerField(default=0)),
                ('unclosed', models.IntegerField(default=0)),
                ('dead', models.IntegerField(default=0)),
                ('customers', models.IntegerField(default=0)),
                ('reached_sales_ready', models.IntegerField(default=0)),
                ('upsells', models.IntegerField(default=0)),
                ('referrals', models.IntegerField(default=0)),
                ('hot_unanswered', models.IntegerField(default=0)),
                ('revenue', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('priced', models.IntegerField(default=0)),
                ('upsell_revenue', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('with_upsell', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('with_upsell_priced', models.IntegerField(default=0)),
                ('without_upsell', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('without_upsell_priced', models.IntegerField(default=0)),
                ('owner', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['day', 'owner'], name='cohortday_day_idx')],
            },
        ),
        migrations.CreateModel(
            name='CohortSpread',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('measure', models.CharField(max_length=8)),
                ('value', models.IntegerField()),
                ('leads', models.IntegerField(default=0)),
                ('owner', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['measure', 'day'], name='cohortspread_measure_idx')],
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
