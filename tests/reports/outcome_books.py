"""Books of closed leads for the score analysis tests, made only through the services: each lead
calls in, is asked the scripted questions by a person, does what a test plants, becomes
sales-ready by its score, and is closed by a manager straight from the pool (sales.services.
close_lead). Nothing writes a score, a stage or a close time; the close is now, so a period
ending today holds every outcome."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.kinds import Stage
from reports.periods import Period
from tests.factories import FACTS, lead_after, make_user

TODAY = timezone.localdate()
PERIOD = Period(TODAY - timedelta(days=6), TODAY)


def user(username: str, role: str = "csr"):
    return get_user_model().objects.filter(username=username).first() or make_user(username, role)


def outcome_lead(won: bool, *, by=None, answers=None, steps=(), **fields):
    """A caller (50) whose answers `by` recorded in one go: the decision is theirs (+10), they buy
    within a month (+20), and `answers` (e.g. {"budget": "approved"}); `steps` logged before, by
    `by` too (interaction kinds, (kind, metadata) pairs, or dicts of earlier answers). Sales-ready
    at 60 or more, then closed won (1,000) or lost (unclosed or dead) by the manager "boss"."""
    from leads.services import log_interaction
    from sales.services import close_lead

    lead = lead_after("call_inbound", **FACTS, **fields)
    for step in steps:
        if isinstance(step, dict):
            pairs = [{"question": question, "answer": answer} for question, answer in step.items()]
            log_interaction(lead_id=lead.pk, kind="answers", answers=pairs, author=by)
            continue
        kind, metadata = step if isinstance(step, tuple) else (step, None)
        log_interaction(lead_id=lead.pk, kind=kind, metadata=metadata, author=by)
    given = {"decision_maker": "yes", "timeline": "this_month", **(answers or {})}
    pairs = [{"question": question, "answer": answer} for question, answer in given.items()]
    log_interaction(lead_id=lead.pk, kind="answers", answers=pairs, author=by)
    lead.refresh_from_db()
    assert lead.stage == Stage.SALES_READY, (lead.stage, lead.score)
    outcome = Stage.WON if won else (Stage.UNCLOSED if lead.pk % 2 else Stage.DEAD)
    close_lead(
        lead_id=lead.pk,
        outcome=outcome,
        by=user("boss", "manager"),
        amount="1000" if won else None,
        reason="" if won else "Not now",
    )
    lead.refresh_from_db()
    return lead


def wins(n: int, rate: float) -> list[bool]:
    """n outcomes of which round(n × rate) won, spread evenly (no luck in a planted book)."""
    won = round(n * rate)
    return [int((i + 1) * won / n) > int(i * won / n) for i in range(n)]
