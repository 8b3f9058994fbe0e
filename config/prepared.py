"""Statements PostgreSQL parses and plans once per connection (PREPARE, then EXECUTE): a web
form's new prospect (config.inserts) and the tracking doors' hits (tracking.hits).

The one statement that writes a new prospect (config.inserts) inserts six rows into tables with
a score of indexes: PostgreSQL spent about as much CPU parsing and planning it as running it
(0.55 of 1.2 ms a capture, docs/performance.md). Prepared, it is planned the first few times a
connection runs it, then runs from the cached plan.

Prepared statements live as long as the connection (a ROLLBACK keeps them), so this module
remembers, per connection, which statements it has prepared; a new connection prepares them
again, and so does one whose statements were dropped (DISCARD ALL) or whose plan no longer fits
a changed table. A statement lost that way inside a caller's transaction fails that transaction
once. Behind a pooler that hands one client's statements to other servers (PgBouncer in
transaction mode) that would happen all the time: set CRM_PREPARED_STATEMENTS=0 there, and
statements run as they are.
"""

from __future__ import annotations

import hashlib
import re
import weakref

from django.conf import settings
from django.db import DatabaseError, ProgrammingError, transaction

# Per raw connection, the names of the statements prepared on it (weakly: a closed connection goes).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# SQL the server cannot prepare (a parameter whose type it cannot infer): always run as is.
_refused: set[str] = set()
_PLACEHOLDER = re.compile(r"%(s|%)")
CANNOT_TELL_TYPES = {"42P18", "42P08", "42804"}  # indeterminate, ambiguous, mismatched parameter types
DUPLICATE_PREPARED_STATEMENT = "42P05"
# The prepared statement is gone (DISCARD ALL, a pooler), or its plan no longer fits the tables
# ("cached plan must not change result type": a column it returns changed type).
LOST = {"26000", "0A000"}


def execute(cursor, sql: str, params: list):
    """cursor.execute(sql, params), from a plan prepared on this connection where it can be.

    `cursor` is a Django cursor on PostgreSQL; every value of `params` must sit where the server
    can infer its type (a column, a CAST): a statement it cannot prepare runs as is. A prepared
    statement lost or out of date is prepared again; outside a transaction the statement is sent
    once more at once, inside one the error is the caller's (its transaction is broken) and the
    next call prepares again."""
    db = cursor.db
    if not _worth_preparing(db) or sql in _refused:
        return cursor.execute(sql, params)
    try:
        return _execute_prepared(cursor, sql, params)
    except DatabaseError as exc:
        if _code(exc) not in LOST:
            raise
        _prepared.pop(db.connection, None)
        if db.in_atomic_block:
            raise
        return _execute_prepared(cursor, sql, params)


def _execute_prepared(cursor, sql: str, params: list):
    name = "crm_" + hashlib.sha1(sql.encode()).hexdigest()[:20]
    on_connection = _prepared.setdefault(cursor.db.connection, set())
    if name not in on_connection:
        if not _prepare(cursor, name, sql):
            return cursor.execute(sql, params)
        on_connection.add(name)
    if not params:
        return cursor.execute(f"EXECUTE {name}")
    return cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


def _worth_preparing(db) -> bool:
    """On PostgreSQL, over a connection kept between requests (with CONN_MAX_AGE 0 every request
    would pay a PREPARE for one EXECUTE), unless CRM_PREPARED_STATEMENTS turns it off."""
    return (
        settings.CRM_PREPARED_STATEMENTS
        and db.vendor == "postgresql"
        and db.settings_dict.get("CONN_MAX_AGE") != 0  # None: kept forever
    )


def _prepare(cursor, name: str, sql: str) -> bool:
    """PREPARE the statement on the cursor's connection, replacing one of the same name left
    there (lost to this module after an error: its plan may be out of date). False if it cannot
    be prepared: remembered when the server cannot tell its parameters' types; any other error
    (a table being migrated, the caller's transaction already broken) is the plain statement's
    to raise. Each step in a savepoint of its own, so a refusal leaves a caller's transaction usable."""
    numbers = iter(range(1, sql.count("%s") + 1))
    body = _PLACEHOLDER.sub(lambda match: f"${next(numbers)}" if match.group(1) == "s" else "%", sql)
    alias = cursor.db.alias
    try:
        try:
            with transaction.atomic(using=alias):
                cursor.execute(f"PREPARE {name} AS {body}")
        except ProgrammingError as exc:
            if _code(exc) != DUPLICATE_PREPARED_STATEMENT:
                raise
            with transaction.atomic(using=alias):
                cursor.execute(f"DEALLOCATE {name}")
                cursor.execute(f"PREPARE {name} AS {body}")
    except ProgrammingError as exc:
        if _code(exc) in CANNOT_TELL_TYPES:
            _refused.add(sql)
        return False
    return True


def _code(exc: Exception) -> str | None:
    """The SQLSTATE of a database error (psycopg2's, under Django's wrapper)."""
    return getattr(exc.__cause__, "pgcode", None)
