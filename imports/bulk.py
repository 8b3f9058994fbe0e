"""Inserting a chunk's rows into one table in one statement.

Django's bulk_create prepares every field of every object: about 60 µs a lead of forty columns,
more than the rest of an import's work on the row. Most columns of an imported chunk hold the
same value for every row (a lead's stage, source, list, and every default), so on PostgreSQL
this sends each column that varies as one array and each other column once, in
`INSERT … SELECT … FROM unnest(…) RETURNING id`. Every concrete field is written, with its
default (or the time, for auto_now and auto_now_add) unless given, so a column added to the
model later is filled as Django would fill it. Elsewhere (SQLite) it is plain bulk_create.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

_MISSING = object()
# Fields whose Python values (str, int, bool, None) are already what the database takes.
_AS_IS = {
    "CharField",
    "TextField",
    "BooleanField",
    "IntegerField",
    "SmallIntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "ForeignKey",
}


def insert_rows(model, *, varying: dict[str, list], fixed: dict | None = None) -> list[int]:
    """Insert len(any varying list) rows of `model`: row i takes varying[name][i] for each
    varying field and fixed[name] for each fixed one (fields named as on the model, or by their
    attname: `contact_id`). Returns the new ids, in row order."""
    connection = connections[DEFAULT_DB_ALIAS]
    fixed = fixed or {}
    count = len(next(iter(varying.values())))
    if not count:
        return []
    if connection.vendor != "postgresql":
        objects = [model(**{name: values[i] for name, values in varying.items()}, **fixed) for i in range(count)]
        model.objects.bulk_create(objects)
        return [obj.pk for obj in objects]
    now = timezone.now()
    columns, selects, select_params, arrays, array_params = [], [], [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:  # the database computes a generated column itself
            continue
        db_type = field.db_type(connection)
        columns.append(connection.ops.quote_name(field.column))
        name = field.attname if field.attname in varying else field.name
        if name in varying:
            arrays.append(f"%s::{db_type}[]")
            values = varying[name]
            if field.get_internal_type() not in _AS_IS:
                values = [field.get_db_prep_save(value, connection) for value in values]
            array_params.append(list(values))
            selects.append(f"u.c{len(arrays) - 1}")
            continue
        value = fixed.get(field.attname, fixed.get(field.name, _MISSING))
        if value is _MISSING:
            automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            value = now if automatic else field.get_default()
        elif hasattr(value, "_meta"):  # a model instance given for a foreign key
            value = value.pk
        selects.append(f"%s::{db_type}")
        select_params.append(field.get_db_prep_save(value, connection))
    names = ", ".join(f"c{i}" for i in range(len(arrays)))
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(selects)} FROM unnest({', '.join(arrays)}) AS u({names}) "
        f"RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, select_params + array_params)
        return [row[0] for row in cursor.fetchall()]


def insert_objects(model, objects: list) -> None:
    """Insert unsaved model instances (built by the domain's own code, as a lead is scored by
    scoring.services.apply_score) with insert_rows: a column whose value is the same on every
    instance is sent once. Each instance gets its id."""
    if not objects:
        return
    varying, fixed = {}, {}
    for field in model._meta.concrete_fields:
        automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if field.primary_key or field.generated or automatic:
            continue
        if field.is_relation:
            values = [_related_id(obj, field) for obj in objects]
        else:
            values = [getattr(obj, field.attname) for obj in objects]
        first = values[0]
        if all(value == first for value in values):
            fixed[field.attname] = first
        else:
            varying[field.attname] = values
    if not varying:  # every row alike: one column goes as an array all the same, to say how many rows
        name = next(iter(fixed))
        varying[name] = [fixed.pop(name)] * len(objects)
    for obj, pk in zip(objects, insert_rows(model, varying=varying, fixed=fixed), strict=True):
        obj.pk = pk
        obj._state.adding = False


def _related_id(obj, field):
    """A foreign key's id, from the related instance when it was saved after being assigned."""
    related = obj._state.fields_cache.get(field.name)
    if related is not None and related.pk is not None:
        return related.pk
    return getattr(obj, field.attname)
