"""Leads with a history, made through the services (interactions logged, scores computed by the
engine, stages moved by claims, hand-overs and closes), for the home page and board tests.

Under the shipped rules an inbound call is worth 50, "decision maker: yes" 10 more (60: warm,
sales-ready with the facts below), "buys within a month" 20 more (hot)."""

from datetime import timedelta

from django.utils import timezone

from leads.kinds import Stage
from leads.services import log_interaction
from sales.services import claim_lead, close_lead, handover_lead
from tests.factories import ContactFactory, LeadFactory

FACTS = {"inquiry_reason": "Furnace died", "desired_outcome": "Heat by Friday"}


def named(first: str, last: str = "Tester", **contact) -> dict:
    return {"contact": ContactFactory(first_name=first, last_name=last, **contact)}


def lead_after(*steps, by=None, **fields):
    """A lead whose history is `steps`: interaction kinds, or dicts of scripted answers."""
    lead = LeadFactory(**fields)
    for step in steps:
        if isinstance(step, dict):
            answers = [{"question": question, "answer": answer} for question, answer in step.items()]
            log_interaction(lead_id=lead.pk, kind="answers", answers=answers, author=by)
        else:
            log_interaction(lead_id=lead.pk, kind=step, author=by)
    lead.refresh_from_db()
    return lead


def sales_ready(*more, owner=None, **fields):
    """60, warm, sales-ready: in the pool, or claimed by `owner`."""
    lead = lead_after("call_inbound", {"decision_maker": "yes"}, *more, **{**FACTS, **fields})
    assert lead.stage == Stage.SALES_READY, (lead.stage, lead.score)
    if owner is not None:
        claim_lead(lead_id=lead.pk, by=owner)
        lead.refresh_from_db()
    return lead


def hot(*, owner=None, **fields):
    """80, hot, sales-ready."""
    return sales_ready({"timeline": "this_month"}, owner=owner, **fields)


def handed_over(owner, *, by, **fields):
    """Sales-ready, handed to `owner` by `by` (marketing, a manager), not yet accepted."""
    lead = sales_ready(**fields)
    handover_lead(lead_id=lead.pk, owner_id=owner.pk, by=by)
    lead.refresh_from_db()
    return lead


def closed(outcome: str, *, by, amount=None, **fields):
    """Claimed by `by` and closed `outcome` (won with `amount`; unclosed or dead "Not now")."""
    lead = sales_ready(owner=by, **fields)
    close_lead(lead_id=lead.pk, outcome=outcome, by=by, amount=amount, reason="" if outcome == Stage.WON else "Not now")
    lead.refresh_from_db()
    return lead


def months_ago(lead, days: int):
    """Move a closed lead's close back in time (as if it closed `days` ago)."""
    from leads.models import Lead

    Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - timedelta(days=days))
    lead.refresh_from_db()
    return lead
