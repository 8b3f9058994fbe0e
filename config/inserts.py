"""New rows that belong together, written by one statement (PostgreSQL's data-modifying WITH):

    WITH "contact" AS (INSERT INTO crm_contact (…) SELECT … WHERE <condition> ON CONFLICT DO NOTHING RETURNING id),
         "lead" AS (INSERT INTO leads_lead (contact_id, …) SELECT "contact"."id", … FROM "contact" RETURNING id),
         …
    SELECT (SELECT id FROM "contact"), (SELECT id FROM "lead"), …, <probes>

One round trip, and outside a transaction one implicit transaction: every row or none. The
statement is prepared once per connection and shape (config.prepared): planning it cost as much
as running it. A row written from earlier rows (`sources`) exists only if they do, so a first
row refused by its condition or by a unique index (`skip_conflicts`) writes nothing at all, and
the answer says so.
Each column's value is what Django would save (`pre_save`, `get_db_prep_save`: auto_now_add
times, JSON), cast to its column's base type (an INSERT … SELECT has no target types to infer
literals from; the column's own length and range checks still apply, as in any INSERT).
Generated columns and an unset auto primary key are left to the database. No signals are sent
(no model of ours has receivers). PostgreSQL only: callers write the ORM way elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, models

from config import prepared


@dataclass(frozen=True)
class Ref:
    """The primary key of the row written earlier in the same statement under `alias`."""

    alias: str


@dataclass
class NewRow:
    """One row to write: `obj` (unsaved) under `alias`, from the rows named in `sources` (one
    each), with `values` that the database computes (a Ref, or (SQL over the sources, params)),
    only if every `only_if` (SQL, params) holds, and not at all when `skip_conflicts` and a
    unique index already holds its key (ON CONFLICT DO NOTHING)."""

    alias: str
    obj: models.Model
    sources: tuple[str, ...] = ()
    values: dict[str, Ref | tuple[str, list]] = field(default_factory=dict)
    only_if: list[tuple[str, list]] = field(default_factory=list)
    skip_conflicts: bool = False


_columns: dict[type, list[tuple[models.Field, str, bool]]] = {}
_statements: dict[tuple, str] = {}  # each shape of row's SQL, built once per process


def _columns_of(model: type[models.Model], conn) -> list[tuple[models.Field, str, bool]]:
    """(field, its placeholder, whether a NULL may be left out) of each column an INSERT can name."""
    columns = _columns.get(model)
    if columns is None:
        columns = []
        for each in model._meta.local_concrete_fields:
            if each.generated or (each.primary_key and isinstance(each, models.AutoField)):
                continue
            kind = re.sub(r"\(.*?\)", "", each.db_type(conn) or "").strip()  # varchar(100) → varchar
            # Django gives no column a default in the database (but a db_default), so a NULL
            # left out is the NULL the ORM would have written.
            omissible = each.null and each.db_default is models.NOT_PROVIDED
            columns.append((each, f"CAST(%s AS {kind})", omissible))
        _columns[model] = columns
    return columns


def _row_sql(row: NewRow, aliases: dict[str, NewRow], conn) -> tuple[str, list]:
    model = type(row.obj)
    named, params = [], []
    for each, _placeholder, omissible in _columns_of(model, conn):
        if each.attname in row.values:
            continue
        value = each.get_db_prep_save(each.pre_save(row.obj, add=True), conn)
        if value is None and omissible:
            continue
        named.append(each.attname)
        params.append(value)
    shape = (
        model,
        tuple(named),
        tuple((attname, given.alias if isinstance(given, Ref) else given[0]) for attname, given in row.values.items()),
        row.sources,
        tuple(condition for condition, _ in row.only_if),
        row.skip_conflicts,
    )
    sql = _statements.get(shape)
    if sql is None:
        sql = _statements[shape] = _build_row_sql(row, aliases, named, conn)
    leading = [p for _attname, given in row.values.items() if not isinstance(given, Ref) for p in given[1]]
    trailing = [p for _condition, condition_params in row.only_if for p in condition_params]
    return sql, leading + params + trailing


def _build_row_sql(row: NewRow, aliases: dict[str, NewRow], named: list[str], conn) -> str:
    model = type(row.obj)
    meta = model._meta
    quote = conn.ops.quote_name
    placeholders = {each.attname: placeholder for each, placeholder, _omissible in _columns_of(model, conn)}
    columns, selects = [], []
    for attname, given in row.values.items():  # first, so that their parameters come first
        columns.append(quote(_column_of(meta, attname)))
        if isinstance(given, Ref):
            selects.append(f"{quote(given.alias)}.{quote(aliases[given.alias].obj._meta.pk.column)}")
        else:
            selects.append(f"({given[0]})")
    for attname in named:
        columns.append(quote(_column_of(meta, attname)))
        selects.append(placeholders[attname])
    sql = f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(selects)}"
    if row.sources:
        sql += " FROM " + ", ".join(quote(source) for source in row.sources)
    # Always a WHERE: "FROM x ON CONFLICT" would read as a join's ON.
    sql += " WHERE " + (" AND ".join(f"({condition})" for condition, _ in row.only_if) or "TRUE")
    if row.skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    return f"{quote(row.alias)} AS ({sql} RETURNING {quote(meta.pk.column)})"


def _column_of(meta, attname: str) -> str:
    return next(each.column for each in meta.local_concrete_fields if each.attname == attname)


def insert_rows(rows: list[NewRow], probes: list[tuple[str, list]] = ()) -> list:
    """Write `rows` in one statement, parents before children. Returns each probe's value, read
    in the same snapshot (why nothing was written, say). A written row's `obj` gets its primary
    key and the keys of its Ref columns; an unwritten one keeps pk None. A unique index that
    refuses a row without `skip_conflicts` raises IntegrityError and writes nothing."""
    conn = connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    aliases: dict[str, NewRow] = {}
    parts, params = [], []
    for row in rows:
        sql, row_params = _row_sql(row, aliases, conn)
        parts.append(sql)
        params += row_params
        aliases[row.alias] = row
    answers = [f"(SELECT {quote(type(row.obj)._meta.pk.column)} FROM {quote(row.alias)})" for row in rows]
    for probe, probe_params in probes:
        answers.append(f"({probe})")
        params += probe_params
    with conn.cursor() as cursor:
        prepared.execute(cursor, f"WITH {', '.join(parts)} SELECT {', '.join(answers)}", params)
        found = cursor.fetchone()
    for row, pk in zip(rows, found, strict=False):
        if pk is None:
            continue
        row.obj.pk = pk
        row.obj._state.adding, row.obj._state.db = False, conn.alias
        for attname, given in row.values.items():
            if isinstance(given, Ref):  # past the descriptor, which would drop the cached parent
                row.obj.__dict__[attname] = aliases[given.alias].obj.pk
    return list(found[len(rows) :])
