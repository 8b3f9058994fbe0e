"""Indexes for the lead list's search and sort orders on PostgreSQL (leads/filters.py).

- contact_phone_reversed_idx: the last four or more digits of a phone. A suffix match on the
  stored E.164 number is a prefix match on the reversed number, which a text_pattern_ops index
  serves (`REVERSE(phone)::text LIKE '7654%'`), so "4567" reads a few index pages among a
  million contacts instead of scanning them.
- company_name_prefix_idx: the start of a company name (`UPPER(name)::text LIKE 'HARB%'`); the
  plain UPPER(name) index serves it only under the C collation.
- lead_last_activity_nulls_last_idx: most recent activity first with never-active leads last,
  the order of the "Last activity" column (the older index puts NULLs first).

Built CONCURRENTLY (hence not atomic) so a live book of a million leads keeps taking writes
while they build. SQLite needs none of them.
"""

from django.db import migrations

INDEXES = {
    "contact_phone_reversed_idx": "crm_contact ((reverse((phone)::text)) text_pattern_ops)",
    "company_name_prefix_idx": "crm_company (UPPER((name)::text) text_pattern_ops)",
    "lead_last_activity_nulls_last_idx": "leads_lead (last_activity_at DESC NULLS LAST, id DESC)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # a build that was interrupted leaves an INVALID index
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = ANY(%s) AND NOT i.indisvalid",
            [list(INDEXES)],
        )
        invalid = [row[0] for row in cursor.fetchall()]
    for name in invalid:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("leads", "0006_alter_interaction_kind"), ("crm", "0004_contact_mailing_address")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
