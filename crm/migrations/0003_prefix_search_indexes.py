"""Indexes for the CSR console's prefix search (name, e-mail) on PostgreSQL.

Django's istartswith/startswith become `UPPER(col::text) LIKE 'X%'` and `col::text LIKE 'x%'`;
with a non-C collation only text_pattern_ops indexes serve those, so a search over a million
contacts reads an index range instead of the table. SQLite needs nothing here.
"""

from django.db import migrations

INDEXES = {
    "contact_first_name_prefix_idx": "UPPER((first_name)::text) text_pattern_ops",
    "contact_last_name_prefix_idx": "UPPER((last_name)::text) text_pattern_ops",
    "contact_email_prefix_idx": "((email)::text) text_pattern_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON crm_contact ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_roles")]
    operations = [migrations.RunPython(create, drop)]
