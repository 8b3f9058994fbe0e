"""Appending hits: the one write the tracking doors make in the request.

A hit is an INSERT into the hits table and nothing else: no lead row is read or locked, nothing
is rescored. It is written before the answer, so a hit is kept while Redis or the worker is
down; the fold (tracking.fold) takes it from there. It goes through CRM_HITS_DATABASE (on
PostgreSQL an alias whose commits do not wait for the disk) as one plain INSERT, prepared once
per connection (config.prepared): the ORM's model machinery would cost as much as the rest of
the request, and PostgreSQL's planning of the statement as much as running it.
"""

from django.conf import settings
from django.db import InterfaceError, NotSupportedError, OperationalError, connections
from django.utils import timezone

from config import prepared
from config.throttling import client_address
from tracking import links, machines
from tracking.models import Hit, HitKind, Purpose


def request_facts(request) -> dict:
    """What a hit keeps of the request: its agent, its client's network (never the whole
    address), and why it looks like a machine's, if it does."""
    agent = request.META.get("HTTP_USER_AGENT", "")[:300]
    address = client_address(request) or ""
    return {"agent": agent, "network": machines.network_of(address), "machine": machines.judge(agent, address)}


def append(request, *, kind: str, link_id: int | None = None, **fields) -> None:
    record(kind=kind, link_id=link_id, **request_facts(request), **fields)


COLUMNS = ("at", "kind", "link_id", "site_key_id", "visitor", "url", "referrer", "seconds", "agent", "network")
INSERT = (
    f"INSERT INTO {Hit._meta.db_table} ({', '.join(COLUMNS)}, machine) "
    f"VALUES ({', '.join(['%s'] * (len(COLUMNS) + 1))})"
)


def record(*, kind: str, link_id: int | None = None, machine: str = "", **fields) -> None:
    """Append one hit: a door's request (`append`), or the demo's prospects (demo/engagement.py)."""
    values = {"at": timezone.now(), "visitor": "", "url": "", "referrer": "", "agent": "", "network": ""}
    values |= fields | {"kind": kind, "link_id": link_id}
    _execute(INSERT, [values.get(name) for name in COLUMNS] + [machine])


FOLLOW = (
    "WITH link AS (SELECT purpose, url FROM tracking_trackedlink WHERE id = %s AND purpose IN ('click', 'scan')), "
    f"hit AS (INSERT INTO {Hit._meta.db_table} ({', '.join(COLUMNS)}, machine) "
    "SELECT %s, CASE WHEN purpose = 'scan' THEN 'scan' ELSE 'click' END, %s, NULL, '', '', '', NULL, %s, %s, %s "
    "FROM link) SELECT purpose, url FROM link"
)


def follow(request, link_id: int) -> tuple[str, str] | None:
    """A tracked link followed: its (purpose, url), or None when there is no such link; its click
    (a scan, for a QR code's link) appended. On PostgreSQL both are one statement, one round trip
    on the hits alias; elsewhere the link is read, then the hit appended."""
    alias = settings.CRM_HITS_DATABASE
    if connections[alias].vendor != "postgresql":
        found = links.destination(link_id)
        if found is not None:
            kind = HitKind.SCAN if found[0] == Purpose.SCAN else HitKind.CLICK
            append(request, kind=kind, link_id=link_id)
        return found
    facts = request_facts(request)
    row = _execute(FOLLOW, [link_id, timezone.now(), link_id, facts["agent"], facts["network"], facts["machine"]])
    return tuple(row) if row else None


STALE = (OperationalError, InterfaceError, NotSupportedError)  # NotSupportedError: a plan out of date


def _execute(sql: str, params: list):
    """One statement on the hits alias (its first row, if it returns any), prepared once per
    connection (config.prepared): PostgreSQL's parsing and planning of a click's statement cost
    about as much as running it (380 → 270 µs a click, measured on this machine). That alias
    skips Django's health check (a SELECT 1 a request), so a connection the database dropped (a
    restart) is found stale here, as is one whose prepared plans are out of date (a schema
    change): it is closed and the statement sent once more on a fresh one."""
    connection = connections[settings.CRM_HITS_DATABASE]
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                prepared.execute(cursor, sql, params)
                return cursor.fetchone() if cursor.description else None
        except STALE:
            if attempt == 2 or connection.in_atomic_block:
                raise
            connection.close()
