"""Leads with a history for the home page and board tests, in the words those tests use. Each is
tests.factories' builder of the same lead (through the services: interactions logged, scores
computed by the engine, stages moved by claims, hand-overs and closes), not a copy of it.

Under the shipped rules an inbound call is worth 50, "decision maker: yes" 10 more (60: warm,
sales-ready with the facts), "buys within a month" 20 more (hot)."""

from datetime import timedelta

from django.utils import timezone

from tests.factories import ContactFactory, closed_lead, handed_over_lead, lead_after, sales_ready_lead

__all__ = ["closed", "handed_over", "hot", "lead_after", "months_ago", "named", "sales_ready"]

sales_ready = sales_ready_lead  # 60, warm, sales-ready: in the pool, or claimed by `owner`
handed_over = handed_over_lead  # sales-ready, handed to `owner` by `by`, not yet accepted


def named(first: str, last: str = "Tester", **contact) -> dict:
    return {"contact": ContactFactory(first_name=first, last_name=last, **contact)}


def hot(*, owner=None, **fields):
    """80, hot, sales-ready."""
    return sales_ready({"timeline": "this_month"}, owner=owner, **fields)


def closed(outcome: str, *, by, amount=None, **fields):
    """Claimed by `by` and closed `outcome` (won with `amount`; unclosed or dead "Not now")."""
    return closed_lead(outcome, by=by, amount=amount, **fields)


def months_ago(lead, days: int):
    """Move a closed lead's close back in time (as if it closed `days` ago)."""
    from leads.models import Lead

    Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - timedelta(days=days))
    lead.refresh_from_db()
    return lead
