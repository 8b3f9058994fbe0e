"""The cohort's traits kept per day too (CohortTrait: how many leads hold each industry, size
band, title, persona, region, postal area, source and offer), for the ideal customer profile's
share among leads, and triggers that mark a lead's day stale when one of its traits changes.

A trait is mostly read through the lead's contact, its company and its offer, so a change there
(a contact's title, a company's industry, an offer's code) marks the quarters of every lead behind
it, and a lead moved to another contact (a merge) marks its own. The rows counted before hold no
traits, so the rollups start over, as in 0002: every day reads as stale (reports count live
meanwhile) until the refreshes have counted them again."""

from django.db import migrations, models

# As in 0002, with contact_id.
WATCHED = (
    "inquired_at owner_id stage source utm_source campaign_id offer_id placement_id bought_list_id won_amount "
    "upsell_accepted upsell_amount sales_ready_at first_hot_at hot_response_seconds sales_cycle_days estimated_value "
    "contact_id"
).split()
BEFORE = WATCHED[:-1]

# The table whose rows changed, which of their columns a trait reads, and its leads' column that
# holds a changed row's id (a company's leads are found through its contacts: CONTACTS_OF).
BEHIND = {
    "crm_contact": (["title", "persona", "company_id"], "contact_id"),
    "crm_company": (["industry_code", "size_band", "region", "postal_code"], "contact_id"),
    "campaigns_offer": (["code"], "offer_id"),
}
CONTACTS_OF = {"crm_company": "SELECT id FROM crm_contact WHERE company_id"}


def _changed(least: str, watched: list[str]) -> str:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in watched)
    return f"{changed} OR {least}(OLD.score / 10, 9) <> {least}(NEW.score / 10, 9)"


def _any_changed(columns: list[str]) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def _sqlite_quarter(at: str) -> str:
    return (
        "INSERT OR IGNORE INTO reports_stalequarter (quarter) "
        f"SELECT CAST(strftime('%s', {at}) AS INTEGER) / 900 WHERE {at} IS NOT NULL;"
    )


def _postgresql_marks(table: str) -> str:
    """The quarters of the leads behind the rows an UPDATE changed a trait of, marked once for the
    whole statement (a bulk update of contacts marks in one INSERT, not one per row), in order, so
    that two such statements never wait for each other's marks. The changed rows' ids are taken
    first and joined to the leads (and a company's contacts) as a list, which the planner reads
    through their indexes, one changed row or a hundred thousand."""
    columns, column = BEHIND[table]
    traits = ", ".join(["id", *columns])
    # EXCEPT (a hashed set difference, NULLs equal as IS NOT DISTINCT FROM): the rows whose traits
    # changed. A join of the two transition tables, which have no statistics, could be planned as
    # a nested loop: a hundred thousand rows against a hundred thousand.
    steps = [
        f"SELECT array_agg(id) INTO ids FROM (SELECT {traits} FROM changed_new "
        f"EXCEPT SELECT {traits} FROM changed_old) AS changed;"
    ]
    if table in CONTACTS_OF:
        steps.append(f"SELECT array_agg(id) INTO ids FROM ({CONTACTS_OF[table]} IN (SELECT unnest(ids))) AS contacts;")
    steps.append(
        "INSERT INTO reports_stalequarter (quarter) "
        "SELECT DISTINCT floor(extract(epoch FROM leads_lead.inquired_at) / 900)::bigint "
        f"FROM unnest(ids) AS changed (id) JOIN leads_lead ON leads_lead.{column} = changed.id "
        "WHERE leads_lead.inquired_at IS NOT NULL ORDER BY 1 ON CONFLICT DO NOTHING;"
    )
    return " ".join(steps)


_BRANCHES = " ".join(
    f"{'IF' if n == 0 else 'ELSIF'} TG_TABLE_NAME = '{table}' THEN {_postgresql_marks(table)}"
    for n, table in enumerate(BEHIND)
)
POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION reports_mark_traits_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    {_BRANCHES}
    END IF;
    RETURN NULL;
END $$;
"""


def _statements(vendor: str, watched: list[str], *, traits: bool) -> list[str]:
    if vendor == "postgresql":
        statements = [
            "DROP TRIGGER reports_lead_changed ON leads_lead",
            "CREATE TRIGGER reports_lead_changed AFTER UPDATE ON leads_lead FOR EACH ROW "
            f"WHEN ({_changed('LEAST', watched)}) EXECUTE FUNCTION reports_mark_stale()",
        ]
        if traits:
            statements.append(POSTGRESQL_FUNCTION)
            statements += [
                f"CREATE TRIGGER reports_{table}_traits AFTER UPDATE ON {table} "
                "REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new "
                "FOR EACH STATEMENT EXECUTE FUNCTION reports_mark_traits_stale()"
                for table in BEHIND
            ]
        else:
            statements += [f"DROP TRIGGER reports_{table}_traits ON {table}" for table in BEHIND]
            statements.append("DROP FUNCTION reports_mark_traits_stale()")
        return statements
    if vendor == "sqlite":
        statements = [
            "DROP TRIGGER reports_lead_changed",
            f"CREATE TRIGGER reports_lead_changed AFTER UPDATE ON leads_lead WHEN {_changed('MIN', watched)} BEGIN "
            f"{_sqlite_quarter('OLD.inquired_at')} {_sqlite_quarter('NEW.inquired_at')} END",
        ]
        if traits:
            statements += [
                f"CREATE TRIGGER reports_{table}_traits AFTER UPDATE ON {table} WHEN {_any_changed(columns)} BEGIN "
                "INSERT OR IGNORE INTO reports_stalequarter (quarter) SELECT DISTINCT "
                f"CAST(strftime('%s', inquired_at) AS INTEGER) / 900 FROM leads_lead WHERE inquired_at IS NOT NULL "
                f"AND {column} IN ({CONTACTS_OF[table] + ' = NEW.id' if table in CONTACTS_OF else 'NEW.id'}); END"
                for table, (columns, column) in BEHIND.items()
            ]
        else:
            statements += [f"DROP TRIGGER reports_{table}_traits" for table in BEHIND]
        return statements
    return []


def watch_traits(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, WATCHED, traits=True):
        schema_editor.execute(statement, params=None)
    apps.get_model("reports", "RollupState").objects.update(zone="")  # every day counted again


def unwatch_traits(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, BEFORE, traits=False):
        schema_editor.execute(statement, params=None)
    apps.get_model("reports", "RollupState").objects.update(zone="")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_open_pipeline"),
        ("crm", "0009_contact_duplicate_keys"),
        ("leads", "0022_outcome_indexes"),
        ("campaigns", "0007_offer_landing_url"),
    ]

    operations = [
        migrations.CreateModel(
            name="CohortTrait",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("trait", models.CharField(max_length=16)),
                ("value", models.TextField(blank=True, help_text='As reports.traits computes it; "" for none.')),
                ("leads", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["trait", "value", "day"], name="cohorttrait_value_idx")],
            },
        ),
        migrations.RunPython(watch_traits, unwatch_traits),
    ]
