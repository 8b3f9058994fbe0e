"""Moving leads between stages: the one place that does it, for one lead or a chunk of them.

Every move is checked against the transition table (`leads.kinds.TRANSITIONS`) and written with
a `StageChange` row (who, when, why) in the caller's transaction; the caller holds the leads' row
locks. The rules of *when* a lead moves by itself live here too, so every way in applies the same
ones: a response brings a bought name or an unclosed prospect back as an inquiry, a lead that
meets the rules of engagement becomes sales-ready, and an unowned sales-ready lead that no longer
does goes back to inquiry (after an interaction one by one, after a rescore in bulk).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.errors import Conflict
from leads.engagement import qualifies, rules_of_engagement
from leads.kinds import RESPONSE_KINDS, TRANSITIONS, InteractionKind, Stage
from leads.models import Lead, StageChange
from scoring.engine import RuleBook

# How a lead's stage history reads when a rescore moves it.
RULES_CHANGED = "Rules changed"

# A response brings these back into the funnel as inquiries (SPEC: called, filled a form, scanned).
RESPONDING_STAGES = (Stage.LIST, Stage.UNCLOSED)


def _check(from_stage: str, to_stage: str) -> None:
    if to_stage not in TRANSITIONS.get(from_stage, ()):
        raise Conflict(f"A lead cannot move from {from_stage} to {to_stage}.")


def _enter(lead: Lead, to_stage: str, at: datetime) -> list[str]:
    """Put the new stage on the instance with the clocks it starts; the fields that changed."""
    lead.stage = to_stage
    fields = ["stage"]
    if to_stage == Stage.INQUIRY and lead.inquired_at is None:
        lead.inquired_at = at  # a bought name becomes a lead: its cohort is now
        fields.append("inquired_at")
    if to_stage == Stage.SALES_READY:
        lead.sales_ready_at = at  # the pool's waiting time starts here
        lead.sales_ready_score = lead.score  # what the score said when it did: score analysis reads it
        fields += ["sales_ready_at", "sales_ready_score"]
    return fields


def change_stage(lead: Lead, *, to_stage: str, by=None, reason: str = "") -> StageChange:
    """Move a lead to another stage if the transition table allows it, recording who and why.

    The caller holds the lead's row lock. Refuses with Conflict (409) otherwise.
    """
    _check(lead.stage, to_stage)
    change = StageChange.objects.create(
        lead=lead, from_stage=lead.stage, to_stage=to_stage, changed_by=by, reason=reason[:200]
    )
    lead.save(update_fields=_enter(lead, to_stage, change.changed_at))
    return change


def change_stages(leads: list[Lead], *, to_stage: str, reason: Callable[[Lead], str], by=None) -> None:
    """The bulk form of `change_stage` for a chunk of leads the caller has locked: the same
    transition table, one UPDATE for the leads and one INSERT for their StageChange rows."""
    if not leads:
        return
    for lead in leads:
        _check(lead.stage, to_stage)
    now = timezone.now()
    StageChange.objects.bulk_create(
        [
            StageChange(lead=lead, from_stage=lead.stage, to_stage=to_stage, changed_by=by, reason=reason(lead)[:200])
            for lead in leads
        ]
    )
    update = {"stage": to_stage}
    if to_stage == Stage.INQUIRY:
        update["inquired_at"] = Coalesce(F("inquired_at"), now)
    if to_stage == Stage.SALES_READY:
        update["sales_ready_at"] = now
        update["sales_ready_score"] = F("score")
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(**update)
    for lead in leads:
        _enter(lead, to_stage, now)


def first_stage(lead: Lead, *, by=None, reason: str = "") -> StageChange:
    """The opening entry of a new lead's stage history, not yet written."""
    return StageChange(lead=lead, from_stage="", to_stage=lead.stage, changed_by=by, reason=reason[:200])


def record_first_stage(lead: Lead, *, by=None, reason: str = "") -> None:
    """The opening entry of a new lead's stage history, written."""
    first_stage(lead, by=by, reason=reason).save(force_insert=True)


# --- When a lead moves by itself ----------------------------------------------------------------


def respond(lead: Lead, *, kind: str, by=None) -> bool:
    """What a response does to a lead, whichever way it came in (a form, a call, a scan): a bought
    name (`list`) or an unclosed prospect becomes an inquiry again. True when it moved."""
    if kind not in RESPONSE_KINDS or lead.stage not in RESPONDING_STAGES:
        return False
    change_stage(lead, to_stage=Stage.INQUIRY, by=by, reason=f"Responded: {InteractionKind(kind).label}")
    return True


def promote_if_ready(lead: Lead, *, book: RuleBook, by=None) -> bool:
    """Move an inquiry (or an unclosed lead) to sales_ready once it meets the rules of
    engagement. The caller holds the lead's row lock. No query below the score threshold."""
    if lead.stage not in (Stage.INQUIRY, Stage.UNCLOSED) or not qualifies(lead, book=book):
        return False
    change_stage(lead, to_stage=Stage.SALES_READY, by=by, reason="Meets the rules of engagement")
    return True


def return_if_unready(lead: Lead, *, book: RuleBook, by=None) -> bool:
    """An unowned sales-ready lead whose score an interaction took below the threshold (a "just
    looking" answer) leaves the pool for inquiry; an owned one stays with its owner (the lead
    page and the queue say it no longer qualifies). No query unless the lead falls."""
    if lead.stage != Stage.SALES_READY or lead.owner_id is not None or lead.score >= book.thresholds.sales_ready:
        return False
    reason = f"Score {lead.score} is below sales-ready {book.thresholds.sales_ready}"
    change_stage(lead, to_stage=Stage.INQUIRY, by=by, reason=reason)
    return True


def settle(lead: Lead, *, book: RuleBook, by=None) -> None:
    """After a lead's score moved: promote it if it now qualifies, return it if it fell."""
    promote_if_ready(lead, book=book, by=by) or return_if_unready(lead, book=book, by=by)


def settle_after_rescore(leads: list[Lead], *, book: RuleBook, why: str, by=None, rules_changed: bool = True) -> None:
    """The stages of a rescored chunk (a publish, the decay, a company's corrected profile), both
    ways and in bulk: an inquiry or unclosed lead that now meets the rules of engagement becomes
    sales-ready, as a new lead with the same score and facts would be at once; an unowned
    sales-ready lead below the threshold goes back to inquiry, so the pool offers only leads that
    qualify. Owned leads stay with their owners. Nothing is written when no lead moves. The stage
    history says "Rules changed: … (why)" after a publish or the decay; otherwise (`rules_changed`
    false) what changed, `why`, and who changed it, `by`."""

    def reason(lead: Lead, outcome: str) -> str:
        if rules_changed:
            return f"{RULES_CHANGED}: score {lead.score} {outcome} ({why})"
        return f"{why}, so score {lead.score} {outcome}"

    threshold = book.thresholds.sales_ready
    falling = [lead for lead in leads if lead.stage == Stage.SALES_READY and lead.owner_id is None]
    falling = [lead for lead in falling if lead.score < threshold]
    candidates = [lead for lead in leads if lead.stage in (Stage.INQUIRY, Stage.UNCLOSED) and lead.score >= threshold]
    rules = rules_of_engagement() if candidates else None
    rising = [lead for lead in candidates if qualifies(lead, book=book, rules=rules)]
    change_stages(
        falling,
        to_stage=Stage.INQUIRY,
        reason=lambda lead: reason(lead, f"is below sales-ready {threshold}"),
        by=by,
    )
    change_stages(
        rising,
        to_stage=Stage.SALES_READY,
        reason=lambda lead: reason(lead, "meets the rules of engagement"),
        by=by,
    )
