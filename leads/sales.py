"""The salesperson's day: handover, claims, closing, feedback, and hot leads nobody called.

Every action locks the lead's row first and checks the rules of engagement under that lock, so
two people acting on one lead at once are served one after the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from config.errors import Conflict, error_text
from config.ids import parse_id
from crm.roles import Role, has_role
from leads.kinds import OPEN_STAGES, Stage
from leads.models import Handover, Lead, LeadFeedback, Notification, RulesOfEngagement
from leads.services import change_stage, describe_missing, missing_for_sales_ready, promote_if_ready
from scoring.services import published_rule_book, rescore_lead

CLOSED_STAGES = (Stage.WON, Stage.UNCLOSED, Stage.DEAD)


def rules_of_engagement() -> RulesOfEngagement:
    rules, _ = RulesOfEngagement.objects.get_or_create(
        pk=1, defaults={"required_facts": ["inquiry_reason", "desired_outcome"]}
    )
    return rules


def update_rules_of_engagement(
    *, required_facts: list[str], hot_response_minutes: int, reassign_after_minutes: int | None
) -> RulesOfEngagement:
    """A manager changes what sales-ready means (besides the score) and the response limits."""
    rules = rules_of_engagement()
    rules.required_facts = list(dict.fromkeys(required_facts)) if isinstance(required_facts, list) else required_facts
    rules.hot_response_minutes, rules.reassign_after_minutes = hot_response_minutes, reassign_after_minutes
    rules.clean()  # refuses with every reason; nothing is saved then
    rules.save()
    return rules


# --- Notifications ------------------------------------------------------------------------------


def notify(users, *, lead: Lead | None, message: str) -> None:
    """In-app notifications, and the same by e-mail through the outbox (sent once the
    transaction commits, or by the outbox sweep if the broker or mail server is down)."""
    notify_many([(user, lead, message) for user in {u.pk: u for u in users}.values()])


def notify_many(items: list[tuple]) -> None:
    """Many notifications at once, each (user, lead or None, message): one INSERT for the
    notifications and one for their e-mails, however many there are."""
    from outbox.services import Message, queue_emails

    rows = Notification.objects.bulk_create(
        [Notification(user=user, lead=lead, message=message[:300]) for user, lead, message in items]
    )
    queue_emails(
        [
            Message(
                key=f"notification:{row.pk}",
                to=row.user.email,
                subject=f"[Lead CRM] {row.message[:80]}",
                text=row.message + (f"\n\nLead: {settings.CRM_BASE_URL}/leads/{row.lead_id}/" if row.lead_id else ""),
            )
            for row in rows
        ]
    )


def managers() -> QuerySet:
    return get_user_model().objects.filter(groups__name=Role.MANAGER, is_active=True)


# --- Handover and claims ------------------------------------------------------------------------


def _lock(lead_id: int, within: QuerySet | None = None) -> Lead:
    leads = Lead.objects.all() if within is None else within
    return leads.select_for_update(of=("self",)).select_related(None).select_related("contact").get(pk=lead_id)


def _require_ready(lead: Lead, *, by) -> None:
    """Promote an inquiry that qualifies; refuse (409 with `missing`) one that does not."""
    if lead.stage not in OPEN_STAGES or lead.stage == Stage.LIST:
        raise Conflict(f"This lead is {lead.get_stage_display().lower()}: it cannot be handed to sales.")
    book = published_rule_book()
    missing = missing_for_sales_ready(lead, book=book)
    if missing:
        raise Conflict(describe_missing(missing, lead, book), missing=missing)
    promote_if_ready(lead, by=by, book=book)


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
        now = timezone.now()
        lead.owner, lead.handed_over_at, lead.owner_accepted_at = owner, now, None
        lead.save(update_fields=["owner", "handed_over_at", "owner_accepted_at"])
        Handover.objects.create(lead=lead, kind=Handover.Kind.HANDOVER, from_user=by, to_user=owner)
        notify([owner], lead=lead, message=f"{by.username} handed you {lead.contact}: please accept it.")
    return lead


def handover_leads(*, lead_ids: list[int], owner, by, within) -> tuple[list[str], list[tuple[str, str]]]:
    """Hand each lead to `owner` through leads.sales.handover_lead, in a transaction of its own:
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
        if lead.owner_accepted_at is None:
            lead.owner_accepted_at = timezone.now()
            lead.save(update_fields=["owner_accepted_at"])
            Handover.objects.filter(lead=lead, to_user=by, accepted_at__isnull=True).update(
                accepted_at=lead.owner_accepted_at
            )
    return lead


def _take(lead: Lead, by, now: datetime) -> None:
    lead.owner, lead.handed_over_at, lead.owner_accepted_at = by, now, now
    lead.save(update_fields=["owner", "handed_over_at", "owner_accepted_at"])
    Handover.objects.create(lead=lead, kind=Handover.Kind.CLAIM, to_user=by, accepted_at=now)


def pool() -> QuerySet:
    """The unassigned sales-ready leads, highest score first, then longest waiting (a partial
    index serves this order; temperature follows the score, so hot comes first)."""
    return Lead.objects.filter(stage=Stage.SALES_READY, owner__isnull=True).order_by("-score", "sales_ready_at", "id")


def meets_rules_of_engagement(book) -> Q:
    """The rules of engagement as a filter: a score at the published sales-ready threshold and
    every required fact recorded. A pool lead can fall short of it once the rules change (a
    publish or the decay lowered its score, a manager required another fact)."""
    condition = Q(score__gte=book.thresholds.sales_ready)
    for fact in rules_of_engagement().required_facts:
        condition &= Q(**{f"{fact}__isnull": False}) if fact == "estimated_value" else ~Q(**{fact: ""})
    return condition


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
                _take(lead, by, timezone.now())
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
        _take(lead, by, timezone.now())
    return lead


# --- Closing ------------------------------------------------------------------------------------


def works_on(lead: Lead, user) -> bool:
    """A salesperson acts only on leads they own; managers (and other roles) are not limited here."""
    return not has_role(user, Role.SALES) or has_role(user, Role.MANAGER) or lead.owner_id == user.pk


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"amount": ["Give the sale's amount as a number."]}) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError({"amount": ["The amount cannot be negative."]})
    if amount >= Decimal("1e10"):
        raise ValidationError({"amount": ["That amount is too large."]})
    return amount.quantize(Decimal("0.01"))


def close_lead(
    *,
    lead_id: int,
    outcome: str,
    by,
    amount=None,
    upsell_accepted: bool = False,
    reason: str = "",
    within: QuerySet | None = None,
) -> Lead:
    """Close a lead won (amount, upsell), unclosed (reason: it stays scored and nurtured) or
    dead (reason). Won pins the score at 100, dead at 0; the sales cycle is recorded. An
    unclosed lead can still be closed won or dead later."""
    if outcome not in CLOSED_STAGES:
        raise ValidationError({"outcome": ["Choose won, unclosed or dead."]})
    errors, reason = {}, (reason or "").strip()
    if outcome == Stage.WON and amount in (None, ""):
        errors["amount"] = ["A won sale needs its amount."]
    if outcome != Stage.WON and not reason:
        errors["reason"] = ["Say why, so marketing can learn from it."]
    if errors:
        raise ValidationError(errors)
    won_amount = _amount(amount) if outcome == Stage.WON else None
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
        lead.won_amount, lead.upsell_accepted = won_amount, bool(upsell_accepted) and outcome == Stage.WON
        lead.lost_reason = reason if outcome != Stage.WON else ""
        rescore_lead(
            lead,
            reason=f"Closed {outcome}",
            also_save=["closed_at", "sales_cycle_days", "won_amount", "upsell_accepted", "lost_reason"],
        )
        from campaigns.services import count_sale_as_redemption
        from followups.services import schedule_after_close

        if outcome == Stage.WON:
            count_sale_as_redemption(lead=lead, by=by)
        schedule_after_close(lead, outcome=outcome, closed_at=now, by=by)
    return lead


def record_feedback(*, lead_id: int, by, rating, reason: str, within: QuerySet | None = None) -> LeadFeedback:
    """Sales rates a lead's quality with a reason; marketing reads it per campaign and source."""
    errors = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = ["Rate from 1 (a waste of time) to 5 (a great lead)."]
    if not (reason or "").strip():
        errors["reason"] = ["Say why."]
    if errors:
        raise ValidationError(errors)
    lead = (Lead.objects if within is None else within).get(pk=lead_id)
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
    the_managers = list(managers())
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
                locked.owner, locked.handed_over_at, locked.owner_accepted_at = None, None, None
                locked.hot_since = now  # the next owner gets the full response time
                locked.save(update_fields=["owner", "handed_over_at", "owner_accepted_at", "hot_since"])
                Handover.objects.create(lead=locked, kind=Handover.Kind.REASSIGN, from_user=previous)
                message = f"Hot lead {locked.contact} went back to the pool: nobody called in time."
                notify([*the_managers, previous], lead=locked, message=message)
                reassigned += 1
    return {"alerted": alerted, "reassigned": reassigned}
