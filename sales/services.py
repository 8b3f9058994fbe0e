"""The salesperson's day: handover, claims, closing, feedback, and hot leads nobody called.

Every action locks the lead's row first and checks the rules of engagement under that lock, so
two people acting on one lead at once are served one after the other. Owners are written by
leads.ownership, stages by leads.stages; closing also counts the offer taken up
(leads.redemptions) and plans the follow-up calls (followups.services), which is why this app
sits above both.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from config.errors import Conflict, error_text
from config.ids import parse_id
from config.money import NotAnAmount, format_money, parse_money
from crm.erased import refuse_if_erased
from crm.roles import Role, has_role, members
from followups.services import schedule_after_close
from leads import ownership
from leads.engagement import describe_missing, meets_rules_of_engagement, missing_for_sales_ready, rules_of_engagement
from leads.kinds import OPEN_STAGES, Stage
from leads.models import Handover, Lead, LeadFeedback
from leads.redemptions import count_sale_as_redemption
from leads.scores import profile_of, rescore_lead
from leads.selectors import works_on
from leads.stages import change_stage, promote_if_ready
from notifications.services import notify
from sales.selectors import pool
from scoring.services import published_rule_book

CLOSED_STAGES = (Stage.WON, Stage.UNCLOSED, Stage.DEAD)


# --- Handover and claims ------------------------------------------------------------------------


def _lock(lead_id: int, within: QuerySet | None = None) -> Lead:
    """The lead, row-locked, for a sales action: none is taken for an erased contact."""
    leads = Lead.objects.all() if within is None else within
    lead = leads.select_for_update(of=("self",)).select_related(None).select_related("contact").get(pk=lead_id)
    refuse_if_erased(lead.contact)
    return lead


def _require_ready(lead: Lead, *, by) -> None:
    """Promote an inquiry that qualifies; refuse (409 with `missing`) one that does not."""
    if lead.stage not in OPEN_STAGES or lead.stage == Stage.LIST:
        raise Conflict(f"This lead is {lead.get_stage_display().lower()}: it cannot be handed to sales.")
    book = published_rule_book()
    missing = missing_for_sales_ready(lead, book=book)
    if missing:
        raise Conflict(describe_missing(missing, lead, book), missing=missing)
    promote_if_ready(lead, book=book, by=by)


def handover_lead(*, lead_id: int, owner_id, by, within: QuerySet | None = None) -> Lead:
    """Marketing or a manager hands a sales-ready lead to a named salesperson, who is notified
    and accepts it from their queue. Handing it to the salesperson who has it changes nothing."""
    owner_pk = parse_id(owner_id)
    owner = get_user_model().objects.filter(pk=owner_pk, is_active=True).first() if owner_pk else None
    if owner is None:
        raise ValidationError({"owner": [f"No active user has the id {owner_id!r}."]})
    if not has_role(owner, Role.SALES):
        raise ValidationError({"owner": [f"{owner.username} is not a salesperson."]})
    with transaction.atomic():
        lead = _lock(lead_id, within)
        if lead.owner_id == owner.pk:
            return lead  # already theirs (a form sent twice): no second hand-over, no second notice
        _require_ready(lead, by=by)
        ownership.give(lead, to=owner, kind=Handover.Kind.HANDOVER, by=by)
        notify([owner], lead=lead, message=f"{by.username} handed you {lead.contact}: please accept it.")
    return lead


def handover_leads(*, lead_ids: list[int], owner, by, within) -> tuple[list[str], list[tuple[str, str]]]:
    """Hand each lead to `owner` through `handover_lead`, in a transaction of its own:
    a lead that is refused (not sales-ready, closed) stays exactly as it was and the others are
    handed over all the same. A lead already with `owner` is left alone, checked under its row
    lock, so a form sent twice hands each lead over once. Returns (names handed over,
    [(name, why not)])."""
    names = {lead.pk: str(lead.contact) for lead in within.filter(pk__in=lead_ids)}
    handed, refused = [], []
    for pk in lead_ids:
        name = names.get(pk, f"Lead #{pk}")
        try:
            with transaction.atomic():
                lead = within.select_for_update(of=("self",)).select_related(None).get(pk=pk)
                if lead.owner_id == owner.pk:
                    raise Conflict(f"already with {owner.username}")
                handover_lead(lead_id=pk, owner_id=owner.pk, by=by, within=within)
        except Lead.DoesNotExist:
            refused.append((name, "not a lead you can see"))
        except (Conflict, ValidationError) as exc:
            refused.append((name, error_text(exc)))
        else:
            handed.append(name)
    return handed, refused


def accept_lead(*, lead_id: int, by) -> Lead:
    """The owner takes responsibility for a lead handed to them."""
    with transaction.atomic():
        lead = _lock(lead_id)
        if lead.owner_id != by.pk:
            raise Conflict("Only the salesperson it was handed to can accept this lead.")
        ownership.accept(lead, by=by)
    return lead


def _take(lead: Lead, by) -> None:
    ownership.give(lead, to=by, kind=Handover.Kind.CLAIM, accepted=True)


CLAIM_ATTEMPTS = 5  # pool leads found short of the rules under their lock before giving up


def claim_next(*, by) -> Lead | None:
    """Give the caller the top lead of the pool that meets the rules of engagement. Rows another
    claimer holds are skipped, not waited for, so every concurrent claimer gets a different
    lead; None when the pool is empty.

    Readiness is checked again once the row is locked (a rescore may have lowered the score
    since it was read), so a lead that no longer qualifies is never handed out."""
    book = published_rule_book()
    passed_over = []
    with transaction.atomic():
        for _ in range(CLAIM_ATTEMPTS):
            lead = (
                pool()
                .filter(meets_rules_of_engagement(book))
                .exclude(pk__in=passed_over)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("contact__company")
                .first()
            )
            if lead is None:
                return None
            if (
                lead.stage == Stage.SALES_READY
                and lead.owner_id is None
                and not missing_for_sales_ready(lead, book=book)
            ):
                _take(lead, by)
                return lead
            passed_over.append(lead.pk)
    return None


def claim_lead(*, lead_id: int, by, within: QuerySet | None = None) -> Lead:
    """Claim one particular lead: it must be sales-ready (or qualify now) and unowned."""
    with transaction.atomic():
        lead = _lock(lead_id, within)
        if lead.owner_id is not None:
            raise Conflict(
                "This lead already has an owner." if lead.owner_id != by.pk else "You already own this lead."
            )
        _require_ready(lead, by=by)
        _take(lead, by)
    return lead


# --- Closing ------------------------------------------------------------------------------------


def _amount(value, *, field: str = "amount", what: str = "the sale's amount") -> Decimal:
    try:
        amount = parse_money(value)  # "$1,200.00" as a person types it, or a number from the API
    except NotAnAmount as exc:
        raise ValidationError({field: [f"Give {what} as a number."]}) from exc
    if amount is None:
        raise ValidationError({field: [f"Give {what} as a number."]})
    if amount < 0:
        raise ValidationError({field: ["The amount cannot be negative."]})
    if amount >= Decimal("1e10"):
        raise ValidationError({field: ["That amount is too large."]})
    return amount.quantize(Decimal("0.01"))


def _upsell(outcome: str, won_amount: Decimal | None, upsell_amount) -> Decimal | None:
    """The upsell's value: part of a won sale, so at most its amount; nothing for another outcome."""
    if upsell_amount in (None, ""):
        return None
    if outcome != Stage.WON:
        raise ValidationError({"upsell_amount": ["Only a won sale has an upsell: leave its value out."]})
    value = _amount(upsell_amount, field="upsell_amount", what="the upsell's value")
    if won_amount is not None and value > won_amount:
        raise ValidationError(
            {"upsell_amount": [f"The upsell is part of the sale: at most its amount ({format_money(won_amount)})."]}
        )
    return value


def close_lead(
    *,
    lead_id: int,
    outcome: str,
    by,
    amount=None,
    upsell_accepted: bool = False,
    upsell_amount=None,
    reason: str = "",
    within: QuerySet | None = None,
) -> Lead:
    """Close a lead won (amount, upsell), unclosed (reason: it stays scored and nurtured) or
    dead (reason). Won pins the score at 100, dead at 0; the sales cycle is recorded. An
    upsell's value is the part of the sale's amount the upsell brought (so at most that amount);
    a value above 0 records the upsell as accepted. An unclosed lead can still be closed won or dead
    later."""
    if outcome not in CLOSED_STAGES:
        raise ValidationError({"outcome": ["Choose won, unclosed or dead."]})
    errors, reason = {}, (reason or "").strip()
    if outcome == Stage.WON and amount in (None, ""):
        errors["amount"] = ["A won sale needs its amount."]
    if outcome != Stage.WON and not reason:
        errors["reason"] = ["Say why, so marketing can learn from it."]
    won_amount = None
    if outcome == Stage.WON and "amount" not in errors:
        try:
            won_amount = _amount(amount)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        upsell_value = _upsell(outcome, won_amount, upsell_amount)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        lead = _lock(lead_id, within)
        if lead.stage in (Stage.WON, Stage.DEAD, Stage.CUSTOMER) or lead.stage == outcome:
            raise Conflict(f"This lead is already closed ({lead.get_stage_display().lower()}).")
        if not works_on(lead, by):
            raise Conflict("Claim this lead, or have it handed to you, before closing it.")
        now = timezone.now()
        change_stage(lead, to_stage=outcome, by=by, reason=reason or "Sale closed")
        lead.closed_at = now
        lead.sales_cycle_days = (now - lead.created_at).days
        # A value above 0 says the upsell was taken; 0 alone (nothing ticked) says it was not.
        lead.upsell_accepted = outcome == Stage.WON and (bool(upsell_accepted) or bool(upsell_value))
        lead.won_amount = won_amount
        lead.upsell_amount = upsell_value if lead.upsell_accepted else None
        lead.lost_reason = reason if outcome != Stage.WON else ""
        lead.closing_profile = profile_of(lead)  # what the score saw: score analysis judges profile rules on it
        rescore_lead(
            lead,
            reason=f"Closed {outcome}",
            also_save=[
                "closed_at",
                "closing_profile",
                "sales_cycle_days",
                "won_amount",
                "upsell_accepted",
                "upsell_amount",
                "lost_reason",
            ],
        )
        if outcome == Stage.WON:
            count_sale_as_redemption(lead=lead, by=by)
        schedule_after_close(lead, outcome=outcome, closed_at=now, by=by)
    return lead


# --- The pipeline board ---------------------------------------------------------------------------


def promote_lead(*, lead_id: int, by, within: QuerySet | None = None) -> Lead:
    """Make an inquiry or unclosed lead sales-ready by hand (a card moved on the pipeline board):
    only if it meets the rules of engagement, checked under its lock as a hand-over or a claim
    checks it, and refused with what it still lacks ("Not sales-ready yet: needs …"). It keeps
    its owner, or joins the pool without one. A salesperson moves only their own leads."""
    with transaction.atomic():
        lead = _lock(lead_id, within)
        if lead.stage == Stage.SALES_READY:
            raise Conflict("This lead is already sales-ready.")
        if lead.stage not in (Stage.INQUIRY, Stage.UNCLOSED):
            raise Conflict(f"This lead is {lead.get_stage_display().lower()}: it cannot be made sales-ready.")
        if not works_on(lead, by):
            raise Conflict("This lead is not yours: only its salesperson or a manager moves it.")
        _require_ready(lead, by=by)
    return lead


def move_lead(
    *,
    lead_id: int,
    to_stage: str,
    by,
    owner_id=None,
    amount=None,
    upsell_accepted: bool = False,
    upsell_amount=None,
    reason: str = "",
    within: QuerySet | None = None,
) -> Lead:
    """A card moved to another column of the pipeline board, through the service that owns that
    move: to sales-ready by a hand-over when marketing or a manager names the salesperson, else
    by `promote_lead`; to won, unclosed or dead by `close_lead` (the salesperson on their own
    lead, or a manager), with the amount or the reason it requires. Nothing else moves a card."""
    if to_stage in CLOSED_STAGES:
        if not has_role(by, Role.SALES, Role.MANAGER):
            raise Conflict("Only the lead's salesperson or a manager closes a lead.")
        return close_lead(
            lead_id=lead_id,
            outcome=to_stage,
            by=by,
            amount=amount,
            upsell_accepted=upsell_accepted,
            upsell_amount=upsell_amount,
            reason=reason,
            within=within,
        )
    if to_stage == Stage.SALES_READY:
        if owner_id not in (None, ""):
            if not has_role(by, Role.MARKETING, Role.MANAGER):
                raise Conflict("Only marketing or a manager hands a lead to a salesperson.")
            lead = handover_lead(lead_id=lead_id, owner_id=owner_id, by=by, within=within)
            if lead.stage == Stage.SALES_READY:
                return lead
            # Already with that salesperson: the hand-over had nothing to do, the promotion has.
        return promote_lead(lead_id=lead_id, by=by, within=within)
    raise ValidationError({"to": ["Move a card to sales-ready, won, unclosed or dead."]})


def record_feedback(*, lead_id: int, by, rating, reason: str, within: QuerySet | None = None) -> LeadFeedback:
    """Sales rates a lead's quality with a reason; marketing reads it per campaign and source."""
    errors = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = ["Rate from 1 (a waste of time) to 5 (a great lead)."]
    if not (reason or "").strip():
        errors["reason"] = ["Say why."]
    if errors:
        raise ValidationError(errors)
    lead = (Lead.objects if within is None else within).select_related("contact").get(pk=lead_id)
    refuse_if_erased(lead.contact)
    if not works_on(lead, by):
        raise Conflict("Rate the leads you work: this one is not yours.")
    return LeadFeedback.objects.create(lead=lead, author=by, rating=rating, reason=reason.strip()[:500])


# --- Hot leads nobody called --------------------------------------------------------------------


def waiting_hot_leads(now: datetime | None = None) -> QuerySet:
    """Open hot leads nobody of ours has spoken to since they turned hot, past the response time."""
    now = now or timezone.now()
    limit = now - timedelta(minutes=rules_of_engagement().hot_response_minutes)
    return (
        Lead.objects.filter(temperature="hot", stage__in=[Stage.INQUIRY, Stage.SALES_READY], hot_since__lte=limit)
        .filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=F("hot_since")))
        .select_related("contact", "owner")
        .order_by("hot_since")
    )


def alert_on_waiting_hot_leads(*, now: datetime | None = None) -> dict:
    """Alert the owner and the managers once per hot spell for each hot lead left waiting, and
    hand back to the pool those still untouched after the second limit. Safe to run often:
    the conditional UPDATE on `alerted_at` makes each alert go out exactly once."""
    now = now or timezone.now()
    rules = rules_of_engagement()
    alerted = reassigned = 0
    the_managers = list(members(Role.MANAGER))
    for lead in waiting_hot_leads(now).filter(Q(alerted_at__isnull=True) | Q(alerted_at__lt=F("hot_since"))):
        with transaction.atomic():
            if not Lead.objects.filter(pk=lead.pk, alerted_at=lead.alerted_at).update(alerted_at=now):
                continue  # another run took it
            waited = int((now - lead.hot_since).total_seconds() // 60)
            message = f"Hot lead {lead.contact} has waited {waited} min without a call."
            notify([*the_managers, *([lead.owner] if lead.owner else [])], lead=lead, message=message)
            alerted += 1
    if rules.reassign_after_minutes:
        limit = now - timedelta(minutes=rules.reassign_after_minutes)
        for lead in waiting_hot_leads(now).filter(owner__isnull=False, handed_over_at__lte=limit, hot_since__lte=limit):
            with transaction.atomic():
                locked = _lock(lead.pk)
                if locked.owner_id is None or (
                    locked.last_contacted_at and locked.last_contacted_at >= locked.hot_since
                ):
                    continue
                previous = locked.owner
                ownership.take_back(locked, kind=Handover.Kind.REASSIGN)
                locked.hot_since = now  # the next owner gets the full response time
                locked.save(update_fields=["hot_since"])
                message = f"Hot lead {locked.contact} went back to the pool: nobody called in time."
                notify([*the_managers, previous], lead=locked, message=message)
                reassigned += 1
    return {"alerted": alerted, "reassigned": reassigned}
