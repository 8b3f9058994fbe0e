"""Appending hits: the one write the tracking doors make in the request.

A hit is an INSERT into the hits table and nothing else: no lead row is read or locked, nothing
is rescored. It is written before the answer, so a hit is kept while Redis or the worker is
down; the fold (tracking.fold) takes it from there.
"""

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


def record(*, kind: str, link_id: int | None = None, **fields) -> Hit:
    """Append one hit: a door's request (`append`), or the demo's prospects (demo/engagement.py)."""
    return Hit.objects.create(kind=kind, link_id=link_id, **fields)
