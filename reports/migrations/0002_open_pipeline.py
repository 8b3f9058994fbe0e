"""The pipeline calculator's open leads kept per cohort day too (CohortDay.open_*), and
`estimated_value` watched by the trigger that marks a changed lead's day stale.

The rows counted before lack the new columns, so the rollups start over: the state's zone is
cleared, every day reads as stale (reports count live meanwhile) and the next refreshes count
them again, 120 days a run (about a minute for two years of a million leads)."""

from django.db import migrations, models

# As in 0001, with estimated_value.
WATCHED = (
    "inquired_at owner_id stage source utm_source campaign_id offer_id placement_id bought_list_id won_amount "
    "upsell_accepted upsell_amount sales_ready_at first_hot_at hot_response_seconds sales_cycle_days estimated_value"
).split()
BEFORE = WATCHED[:-1]


def _changed(least: str, watched: list[str]) -> str:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched)
    return f"{changed} OR {least}(OLD.score / 10, 9) <> {least}(NEW.score / 10, 9)"


def _sqlite_quarter(at: str) -> str:
    return f"INSERT OR IGNORE INTO reports_stalequarter (quarter) SELECT CAST(strftime('%s', {at}) AS INTEGER) / 900 WHERE {at} IS NOT NULL;"


def _statements(vendor: str, watched: list[str]) -> list[str]:
    if vendor == "postgresql":
        return [
            "DROP TRIGGER reports_lead_changed ON leads_lead",
            f"CREATE TRIGGER reports_lead_changed AFTER UPDATE ON leads_lead FOR EACH ROW WHEN ({_changed('LEAST', watched)}) "
            "EXECUTE FUNCTION reports_mark_stale()",
        ]
    if vendor == "sqlite":
        return [
            "DROP TRIGGER reports_lead_changed",
            f"CREATE TRIGGER reports_lead_changed AFTER UPDATE ON leads_lead WHEN {_changed('MIN', watched)} BEGIN "
            f"{_sqlite_quarter('OLD.inquired_at')} {_sqlite_quarter('NEW.inquired_at')} END",
        ]
    return []


def watch_estimates(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, WATCHED):
        schema_editor.execute(statement, params=None)
    apps.get_model("reports", "RollupState").objects.update(zone="")  # every day counted again


def unwatch_estimates(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, BEFORE):
        schema_editor.execute(statement, params=None)
    apps.get_model("reports", "RollupState").objects.update(zone="")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_rollups")]

    operations = [
        migrations.AddField(model_name="cohortday", name="open_leads", field=models.IntegerField(default=0)),
        migrations.AddField(
            model_name="cohortday",
            name="open_value",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=18),
        ),
        migrations.AddField(model_name="cohortday", name="open_without_estimate", field=models.IntegerField(default=0)),
        migrations.RunPython(watch_estimates, unwatch_estimates),
    ]
