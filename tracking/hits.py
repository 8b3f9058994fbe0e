"""Appending hits: the one write the tracking doors make in the request.

A hit is an INSERT into the hits table and nothing else: no lead row is read or locked, nothing
is rescored. It is written before the answer, so a hit is kept while Redis or the worker is
down; the fold (tracking.fold) takes it from there. It goes through CRM_HITS_DATABASE (on
PostgreSQL an alias whose commits do not wait for the disk) as one plain INSERT: the ORM's
model machinery would cost as much as the rest of the request.
"""

from django.conf import settings
from django.db import connections
from django.utils import timezone

from config.throttling import client_address
from tracking import machines
from tracking.models import Hit


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
    with connections[settings.CRM_HITS_DATABASE].cursor() as cursor:
        cursor.execute(INSERT, [values.get(name) for name in COLUMNS] + [machine])
