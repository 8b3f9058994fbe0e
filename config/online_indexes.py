"""Index changes a live PostgreSQL database takes without stopping its writers, for migrations.

Django's own AlterField(db_index=False) on a foreign key drops the constraint and adds it back,
which checks every row while the table and the table it points to refuse writes; its AddIndex
builds under a lock that holds every INSERT. These build CONCURRENTLY and drop only the index,
with the model's state changed apart (SeparateDatabaseAndState). On SQLite (the embedded
default) they are the plain statements.
"""

from __future__ import annotations


def remove_index(schema_editor, name: str) -> None:
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}")


def _invalid(schema_editor, name: str) -> bool:
    """Whether a CONCURRENTLY build of `name` was interrupted and left it INVALID (PostgreSQL)."""
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        return cursor.fetchone() is not None


def add_index(schema_editor, model, index) -> None:
    """`index` on `model`'s table, CONCURRENTLY on PostgreSQL (an interrupted earlier build is
    dropped first); nothing when it is already there."""
    if _invalid(schema_editor, index.name):
        remove_index(schema_editor, index.name)
    with schema_editor.connection.cursor() as cursor:
        there = schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table)
    if index.name in there:
        return
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, index, concurrently=True)
    else:
        schema_editor.add_index(model, index)


def field_index_name(schema_editor, model, column: str) -> str:
    """The name Django gave the index of a field with db_index (a foreign key's by default)."""
    return schema_editor._create_index_name(model._meta.db_table, [column], suffix="")


def drop_field_index(schema_editor, model, column: str) -> None:
    """The index Django made for a field's db_index, dropped (its constraint untouched)."""
    remove_index(schema_editor, field_index_name(schema_editor, model, column))


def add_field_index(schema_editor, model, column: str) -> None:
    """That index made again (a migration going back)."""
    name = field_index_name(schema_editor, model, column)
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    table, quoted = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(column)
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {schema_editor.quote_name(name)} ON {table} ({quoted})"
    )


def to_partial(schema_editor, model, columns: tuple[str, ...], partial: tuple = ()) -> None:
    """The field indexes of `columns` (Django's db_index ones) replaced by the `partial` indexes:
    those built first, then these dropped, the foreign keys untouched."""
    for index in partial:
        add_index(schema_editor, model, index)
    for column in columns:
        drop_field_index(schema_editor, model, column)


def from_partial(schema_editor, model, columns: tuple[str, ...], partial: tuple = ()) -> None:
    """to_partial undone (a migration going back)."""
    for column in columns:
        add_field_index(schema_editor, model, column)
    for index in partial:
        remove_index(schema_editor, index.name)
