"""Who owns a lead: the one place that writes a lead's owner, always with the `Handover` row that
says how it changed hands (handed over, claimed, taken with a referral, taken back), so the
timeline can always say how a salesperson came to have it. The caller holds the lead's row lock
and has checked that the move is allowed (sales.services, leads.intake)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from leads.models import Handover, Lead

OWNER_FIELDS = ["owner", "handed_over_at", "owner_accepted_at"]


def give(lead: Lead, *, to, kind: str, by=None, accepted: bool = False, now: datetime | None = None) -> Handover:
    """Put the lead in `to`'s hands. `accepted` for a salesperson who took it themselves (a claim,
    their customer's referral); a lead handed over waits for the owner to accept it."""
    now = now or timezone.now()
    lead.owner, lead.handed_over_at, lead.owner_accepted_at = to, now, now if accepted else None
    lead.save(update_fields=OWNER_FIELDS)
    return Handover.objects.create(lead=lead, kind=kind, from_user=by, to_user=to, accepted_at=lead.owner_accepted_at)


def accept(lead: Lead, *, by, now: datetime | None = None) -> None:
    """The owner takes responsibility for a lead handed to them (once; again is a no-op)."""
    if lead.owner_accepted_at is not None:
        return
    lead.owner_accepted_at = now or timezone.now()
    lead.save(update_fields=["owner_accepted_at"])
    Handover.objects.filter(lead=lead, to_user=by, accepted_at__isnull=True).update(accepted_at=lead.owner_accepted_at)


def take_back(lead: Lead, *, kind: str = Handover.Kind.REASSIGN) -> Handover:
    """The lead goes back to the pool, unowned; the row remembers whose it was."""
    previous = lead.owner
    lead.owner, lead.handed_over_at, lead.owner_accepted_at = None, None, None
    lead.save(update_fields=OWNER_FIELDS)
    return Handover.objects.create(lead=lead, kind=kind, from_user=previous)
