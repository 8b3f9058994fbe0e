"""Statements PostgreSQL parses and plans once per connection (PREPARE, then EXECUTE): a web
form's new prospect (config.inserts) and the tracking doors' hits (tracking.hits).

The one statement that writes a new prospect (config.inserts) inserts six rows into tables with
a score of indexes: PostgreSQL spent about as much CPU parsing and planning it as running it
(0.55 of 1.2 ms a capture, docs/performance.md). Prepared, it is planned the first few times a
connection runs it, then runs from the cached plan.

Prepared statements live as long as the connection (a ROLLBACK keeps them), so this module
remembers, per connection, which statements it has prepared; a new connection prepares them
again. Behind a pooler that hands one client's statements to other servers (PgBouncer in
transaction mode), set CRM_PREPARED_STATEMENTS=0: statements then run as they are.
"""

from __future__ import annotations

import hashlib
import re
import weakref

from django.conf import settings
from django.db import OperationalError, ProgrammingError, transaction

# Per raw connection, the names of the statements prepared on it (weakly: a closed connection goes).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# SQL the server would not prepare (a parameter whose type it cannot infer): always run as is.
_refused: set[str] = set()
_PLACEHOLDER = re.compile(r"%(s|%)")
DUPLICATE_PREPARED_STATEMENT = "42P05"
NO_SUCH_PREPARED_STATEMENT = "26000"


def execute(cursor, sql: str, params: list):
    """cursor.execute(sql, params), from a plan prepared on this connection where it can be.

    `cursor` is a Django cursor on PostgreSQL; every value of `params` must sit where the server
    can infer its type (a column, a CAST): a statement it cannot prepare runs as is."""
    db = cursor.db
    if not _worth_preparing(db) or sql in _refused:
        return cursor.execute(sql, params)
    try:
        return _execute_prepared(cursor, sql, params)
    except OperationalError as exc:  # psycopg2's InvalidSqlStatementName is one
        if getattr(exc.__cause__, "pgcode", None) != NO_SUCH_PREPARED_STATEMENT:
            raise
        _prepared.pop(db.connection, None)  # gone behind this module's back (DISCARD ALL, a pooler)
        if db.in_atomic_block:
            raise  # the caller's transaction is broken: theirs to retry
        return _execute_prepared(cursor, sql, params)  # prepared again


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
    """PREPARE the statement on the cursor's connection; False (and remembered) if the server
    refuses it. In a savepoint of its own, so a refusal leaves a caller's transaction usable."""
    numbers = iter(range(1, sql.count("%s") + 1))
    body = _PLACEHOLDER.sub(lambda match: f"${next(numbers)}" if match.group(1) == "s" else "%", sql)
    try:
        with transaction.atomic(using=cursor.db.alias):
            cursor.execute(f"PREPARE {name} AS {body}")
    except ProgrammingError as exc:
        if getattr(exc.__cause__, "pgcode", None) == DUPLICATE_PREPARED_STATEMENT:
            return True  # already prepared on this connection (the name is the text's hash)
        _refused.add(sql)
        return False
    return True
