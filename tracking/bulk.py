"""Many rows in plain multi-row INSERTs, a chunk a statement: the fold writes hundreds of
thousands of rows, and Django's bulk_create spends more building model instances than the
database spends storing them. The same SQL runs on PostgreSQL and SQLite (3.24+ for upserts)."""

from collections.abc import Iterable, Sequence

from django.db import connection

CHUNK = 1000


def insert(table: str, columns: Sequence[str], rows: list[Sequence], *, row_sql: str = "", tail: str = "") -> None:
    """INSERT INTO table (columns) VALUES (…), (…) … `tail` (an ON CONFLICT clause), CHUNK rows a
    statement. `row_sql` is one row's placeholders, when some columns are literals."""
    row_sql = row_sql or "(" + ", ".join(["%s"] * len(columns)) + ")"
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row_sql] * len(chunk))} {tail}",
                [value for row in chunk for value in row],
            )


def add_counts(table: str, keys: Sequence[str], fields: Sequence[str], rows: Iterable[tuple[tuple, dict]]) -> None:
    """Counters upserted: each (key values, {field: count}) adds its counts to the row of its key,
    made if missing (ON CONFLICT DO UPDATE SET n = n + excluded.n)."""
    values = [(*key, *(counts[name] for name in fields)) for key, counts in rows]
    adds = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in fields)
    insert(table, (*keys, *fields), values, tail=f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {adds}")
