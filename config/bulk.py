"""Many rows in one INSERT: tracking's fold writes hundreds of thousands of rows, the outbox a
batch of e-mails at a time, and Django's bulk_create spends more building model instances than
the database spends storing them. On PostgreSQL an array a column (INSERT … SELECT FROM
unnest(…)); elsewhere multi-row VALUES, a chunk a statement (SQLite 3.24+ for the upserts)."""

from collections.abc import Iterable, Sequence

from django.db import connection

CHUNK = 1000


def insert(model, columns: Sequence[str], rows: list[Sequence], *, fixed: dict | None = None, tail: str = "") -> None:
    """Rows of `model` (values for `columns`, its fields' attnames, in order), with `fixed`
    ({attname: value}) the same on every row, and `tail` (an ON CONFLICT clause). On PostgreSQL
    one INSERT … SELECT FROM unnest(…), an array a column, whatever the number of rows: the
    server parses a few arrays, not tens of thousands of literals (the fold's counters went in
    at 35 µs a row as literals). Elsewhere multi-row VALUES, CHUNK rows a statement."""
    if not rows:
        return
    fixed = fixed or {}
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(name).column) for name in (*columns, *fixed))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{model._meta.get_field(name).db_type(connection)}[]" for name in columns)
            selects = ", ".join(["u.*", *(["%s"] * len(fixed))])
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {selects} FROM unnest({arrays}) AS u {tail}",
                [*fixed.values(), *(list(values) for values in zip(*rows, strict=True))],
            )
            return
        row_sql = "(" + ", ".join(["%s"] * (len(columns) + len(fixed))) + ")"
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(chunk))} {tail}",
                [value for row in chunk for value in (*row, *fixed.values())],
            )


def insert_returning(model, columns: Sequence[str], rows: list[Sequence]) -> list[int]:
    """Rows of `model` (values for `columns`, its fields' attnames, in order) whose ids the
    caller needs, in the order of the rows. On PostgreSQL one INSERT … SELECT FROM unnest(…), an
    array a column: the server parses a few arrays, not tens of thousands of literals. Elsewhere
    insert()'s multi-row VALUES, a chunk a statement, with RETURNING id."""
    if not rows:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(model._meta.get_field(column).column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [model._meta.get_field(column).db_type(connection) for column in columns]
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({', '.join(f'%s::{t}[]' for t in types)}) "
                "RETURNING id",
                [list(values) for values in zip(*rows, strict=True)],
            )
            return [row[0] for row in cursor.fetchall()]
        ids: list[int] = []
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(chunk))} RETURNING id",
                [value for row in chunk for value in row],
            )
            ids += [row[0] for row in cursor.fetchall()]
        return ids


def add_counts(model, keys: Sequence[str], fields: Sequence[str], rows: Iterable[tuple[tuple, dict]]) -> None:
    """Counters upserted: each (key values, {field: count}) adds its counts to the row of its key,
    made if missing (ON CONFLICT DO UPDATE SET n = n + excluded.n). Rows go in key order, so two
    writers of the same counters wait for each other rather than deadlock."""
    table = model._meta.db_table
    values = [(*key, *(counts[name] for name in fields)) for key, counts in sorted(rows, key=lambda row: row[0])]
    adds = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in fields)
    insert(model, (*keys, *fields), values, tail=f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {adds}")


def commit_without_waiting_for_disk() -> None:
    """This transaction's commit (PostgreSQL) does not wait for the disk: for bulk work whose
    rows and cursor are lost together if the server crashes within the moment after, and done
    again (an import's chunk, a fold batch, a rescore chunk with its marks). Later commits that do
    wait make it durable with them, so a crash can only lose the last such transactions whole.
    Only in a transaction of its own (the outermost atomic block: no savepoint below it), never
    in a caller's, whose commit must wait."""
    if connection.vendor == "postgresql" and not connection.savepoint_ids:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
