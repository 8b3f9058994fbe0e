"""Rescoring the leads the fold gave interactions: each once, however many hits and batches.

The fold (tracking.fold) writes interactions without locking a lead and marks the lead in
`PendingRescore`. `rescore_engaged()` takes up to CRM_RESCORE_CHUNK marked leads (SKIP LOCKED,
so two workers share the work), and in one transaction with removing their marks: locks them in
id order FOR NO KEY UPDATE (as every bulk rescore does: leads.scores.locked says why), moves
their last activity, brings a scanned list name or unclosed prospect back as an inquiry,
rescores each once, settles their stages both ways, and tells an owner whose lead turned hot
from engagement alone. A worker killed mid-way rolls back the marks with the rest, so the leads
are rescored by the next run.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from config import bulk
from leads.kinds import InteractionKind
from leads.models import Lead
from leads.scores import rescore_locked
from leads.stages import respond, settle_after_rescore
from notifications.services import notify_many
from scoring.engine import HOT
from scoring.services import published_rule_book
from tracking.models import PendingRescore

REASON = "Engagement"


def mark(rows: dict[int, tuple]) -> None:
    """Mark leads for their rescore: {lead id: (newest interaction's time, scanned)}."""
    table = PendingRescore._meta.db_table
    newest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    bulk.insert(
        PendingRescore,
        ("lead_id", "last_activity_at", "scanned"),
        [(lead_id, at, scanned) for lead_id, (at, scanned) in sorted(rows.items())],
        tail=f"ON CONFLICT (lead_id) DO UPDATE SET last_activity_at = {newest}({table}.last_activity_at, "
        f"excluded.last_activity_at), scanned = ({table}.scanned OR excluded.scanned)",
    )


def rescore_engaged(limit: int | None = None, *, marked_before=None) -> int:
    """Rescore the next marked leads (only those marked before `marked_before`, if given: the
    fold's backlog policy, tracking.fold.marked_before); returns how many marks it took (0: none
    left, or all held)."""
    limit = limit or settings.CRM_RESCORE_CHUNK
    marks = PendingRescore.objects.select_for_update(skip_locked=True).order_by("lead_id")
    if marked_before is not None:
        marks = marks.filter(marked_at__lt=marked_before)
    with transaction.atomic():
        marks = list(marks[:limit])
        if not marks:
            return 0
        bulk.commit_without_waiting_for_disk()  # lost in a crash, the marks come back with it
        PendingRescore.objects.filter(lead_id__in=[row.lead_id for row in marks]).delete()
        _rescore({row.lead_id: row for row in marks})
    return len(marks)


def _rescore(marks: dict[int, PendingRescore]) -> None:
    now = timezone.now()
    book = published_rule_book()
    leads = list(
        Lead.objects.filter(pk__in=list(marks), contact__erased_at__isnull=True)
        .select_related("contact__company")
        .select_for_update(of=("self",), no_key=True)
        .order_by("pk")
    )
    was_hot = {lead.pk for lead in leads if lead.temperature == HOT}
    for lead in leads:
        latest = marks[lead.pk].last_activity_at
        if lead.last_activity_at is None or latest > lead.last_activity_at:
            lead.last_activity_at = latest
        if marks[lead.pk].scanned:
            respond(lead, kind=InteractionKind.QR_SCAN)
    rescore_locked(leads, book=book, reason=REASON, now=now, with_activity=True)  # their tallies counted afresh
    settle_after_rescore(leads, book=book, why=REASON, rules_changed=False)
    _tell_owners([lead for lead in leads if lead.temperature == HOT and lead.pk not in was_hot])


def _tell_owners(leads: list[Lead]) -> None:
    """An owner hears when their lead turns hot from what the prospect did (opens, clicks, scans,
    visits) with nobody calling; an unowned sales-ready lead simply rises in the pool's order."""
    owned = [lead for lead in leads if lead.owner_id is not None]
    if not owned:
        return
    users = get_user_model().objects.in_bulk({lead.owner_id for lead in owned})
    notify_many(
        [
            (users[lead.owner_id], lead, f"{lead.contact} turned hot from engagement (score {lead.score}): call them.")
            for lead in owned
        ]
    )


def rescore_all() -> int:
    total = 0
    while taken := rescore_engaged():
        total += taken
    return total
