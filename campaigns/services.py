"""Every write to campaigns and offers: saving with validation, launching, redeeming."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns.models import Campaign, Offer, OfferStatus, Placement, Redemption
from config.errors import Conflict

SEGMENT_KEYS = {"industry_codes", "size_bands", "regions", "personas", "stages", "score_min", "score_max"}


def validate_segment(segment) -> dict:
    """A campaign's target: a saved filter over contacts (industry, size, region, persona, stage, score)."""
    if segment in (None, ""):
        return {}
    if not isinstance(segment, dict):
        raise ValidationError({"segment": ["Give an object of filters."]})
    errors = []
    unknown = set(segment) - SEGMENT_KEYS
    if unknown:
        errors.append(f"Unknown filter(s): {', '.join(sorted(unknown))}; use {', '.join(sorted(SEGMENT_KEYS))}.")
    for key in SEGMENT_KEYS & set(segment) - {"score_min", "score_max"}:
        value = segment[key]
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            errors.append(f"{key} must be a list of text values.")
    for key in {"score_min", "score_max"} & set(segment):
        value = segment[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            errors.append(f"{key} must be a whole number from 0 to 100.")
    if errors:
        raise ValidationError({"segment": errors})
    return segment


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()


def timing_and_limit_errors(starts_at, deadline, quantity_limit) -> dict[str, list[str]]:
    """The offer's own field rules, shared by the API's service call and the browser form."""
    errors = {}
    if starts_at and deadline and deadline <= starts_at:
        errors["deadline"] = ["The deadline must come after the start."]
    if quantity_limit is not None and quantity_limit < 1:
        errors["quantity_limit"] = ["Give a limit of at least 1, or none."]
    return errors


def save_offer(*, offer: Offer | None = None, placements: list[dict] | None = None, **fields) -> Offer:
    """Create or change an offer and, when given, replace its placements; refused with field
    errors (deadline before start, negative limit or cost, a code already taken)."""
    offer = offer or Offer()
    if "code" in fields:
        fields["code"] = normalize_code(fields["code"])
    for name, value in fields.items():
        setattr(offer, name, value)
    errors: dict[str, list[str]] = {}
    if not offer.code:
        errors["code"] = ["Give the code printed on the letters and ads."]
    elif Offer.objects.filter(code=offer.code).exclude(pk=offer.pk).exists():
        errors["code"] = [f"The code {offer.code} is already used by another offer."]
    errors.update(timing_and_limit_errors(offer.starts_at, offer.deadline, offer.quantity_limit))
    if offer.quantity_limit is not None and offer.pk and offer.redeemed > offer.quantity_limit:
        errors["quantity_limit"] = [f"{offer.redeemed} have already been redeemed."]
    placement_rows = []
    for i, item in enumerate(placements or []):
        row = Placement(offer=offer, **item)
        if row.starts_on and row.ends_on and row.ends_on < row.starts_on:
            errors.setdefault("placements", []).append(f"Placement {i + 1}: it ends before it starts.")
        if row.cost is not None and row.cost < 0:
            errors.setdefault("placements", []).append(f"Placement {i + 1}: the cost cannot be negative.")
        placement_rows.append(row)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        offer.save()
        if placements is not None:
            offer.placements.all().delete()
            for row in placement_rows:
                row.offer = offer
            Placement.objects.bulk_create(placement_rows)
    return offer


def launch_reasons(offer: Offer, now=None) -> list[str]:
    """Every reason an offer cannot go live yet (empty: it can)."""
    now = now or timezone.now()
    reasons = []
    if offer.launched_at is not None:
        reasons.append("The offer is already launched.")
    if not offer.headline.strip():
        reasons.append("Give it a headline.")
    if offer.deadline <= now:
        reasons.append("The deadline has passed.")
    if not offer.upsell_product.strip() or not offer.upsell_pitch.strip():
        reasons.append("Every offer needs its intended upsell: the product and the pitch.")
    placements = list(offer.placements.all())
    if not placements:
        reasons.append("Say where its ads run: add at least one placement.")
    for placement in placements:
        if placement.ends_on < date.today():
            reasons.append(f"The placement {placement} has already ended.")
    return reasons


def launch_offer(*, offer_id: int, by=None) -> Offer:
    """Put an offer live, or refuse with every reason at once."""
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        reasons = launch_reasons(offer)
        if reasons:
            raise ValidationError({"launch": reasons})
        offer.launched_at = timezone.now()
        offer.save(update_fields=["launched_at"])
    return offer


def redeem_offer(*, offer_id: int, lead_id: int, by=None, within=None) -> Offer:
    """Count one redemption of an offer by a lead: once per lead, never beyond the limit.

    The counter moves with a conditional UPDATE (… WHERE redeemed < quantity_limit), so however
    many callers redeem at once, exactly the limit succeed; the unique (offer, lead) row makes a
    second redemption by the same lead a conflict. `within` limits the leads that may redeem
    (the caller's visible leads); a lead outside it raises Lead.DoesNotExist.
    """
    from leads.models import Lead

    lead = (Lead.objects.all() if within is None else within).get(pk=lead_id)
    with transaction.atomic():
        offer = Offer.objects.get(pk=offer_id)
        status = offer.status
        if status != OfferStatus.LIVE:
            raise Conflict(f"The offer {offer.code} is {status.replace('_', ' ')}: it cannot be redeemed.")
        try:
            with transaction.atomic():
                Redemption.objects.create(offer=offer, lead=lead, redeemed_by=by)
        except IntegrityError as exc:
            raise Conflict(f"This lead has already redeemed {offer.code}.") from exc
        counted = (
            Offer.objects.filter(pk=offer.pk)
            .filter(Q(quantity_limit__isnull=True) | Q(redeemed__lt=F("quantity_limit")))
            .update(redeemed=F("redeemed") + 1)
        )
        if not counted:  # raising rolls the redemption row back with the rest
            raise Conflict(f"The offer {offer.code} is sold out.")
        if lead.offer_id is None:
            Lead.objects.filter(pk=lead.pk, offer__isnull=True).update(offer=offer, campaign=offer.campaign_id)
    offer.refresh_from_db(fields=["redeemed"])
    return offer


def delete_campaign(*, campaign: Campaign) -> None:
    """Delete a campaign that holds no offers; one that does stays, with the reason (409)."""
    offers = campaign.offers.count()
    if offers:
        raise Conflict(
            f"The campaign {campaign.name} holds {offers} offer{'s' if offers != 1 else ''}: "
            "delete those first, or keep the campaign for its history."
        )
    campaign.delete()


def save_campaign(*, campaign: Campaign | None = None, by=None, **fields) -> Campaign:
    campaign = campaign or Campaign(created_by=by)
    if "segment" in fields:
        fields["segment"] = validate_segment(fields["segment"])
    for name, value in fields.items():
        setattr(campaign, name, value)
    if not (campaign.name or "").strip():
        raise ValidationError({"name": ["Give the campaign a name."]})
    campaign.save()
    return campaign


ENDING_SOON = timedelta(days=1)
NEARLY_SOLD_OUT = 0.1  # a tenth (at least one) left


def alert_on_offers(*, now=None) -> dict:
    """Tell marketing and the managers, once each, about a live offer ending within a day or
    nearly sold out (a tenth or less left), so they can extend it, replace it or brief the staff.
    Each alert is claimed with a conditional UPDATE: two runs at once alert once."""
    from django.contrib.auth import get_user_model

    from crm.roles import Role
    from leads.sales import notify_many

    now = now or timezone.now()
    people = list(
        get_user_model().objects.filter(groups__name__in=[Role.MARKETING, Role.MANAGER], is_active=True).distinct()
    )
    sent = {"ending": 0, "nearly_sold_out": 0}
    live = Offer.objects.filter(launched_at__isnull=False, starts_at__lte=now, deadline__gt=now)
    for offer in live.filter(deadline__lte=now + ENDING_SOON, ending_alerted_at__isnull=True):
        if Offer.objects.filter(pk=offer.pk, ending_alerted_at__isnull=True).update(ending_alerted_at=now):
            hours = max(1, int((offer.deadline - now).total_seconds() // 3600))
            notify_many([(user, None, f"Offer {offer.code} ends in {hours} h ({offer.headline}).") for user in people])
            sent["ending"] += 1
    for offer in live.filter(quantity_limit__isnull=False, low_stock_alerted_at__isnull=True):
        threshold = max(1, int(offer.quantity_limit * NEARLY_SOLD_OUT))
        if offer.remaining > threshold or offer.status_at(now) != OfferStatus.LIVE:
            continue
        if Offer.objects.filter(pk=offer.pk, low_stock_alerted_at__isnull=True).update(low_stock_alerted_at=now):
            message = f"Offer {offer.code} is nearly sold out: {offer.remaining} of {offer.quantity_limit} left."
            notify_many([(user, None, message) for user in people])
            sent["nearly_sold_out"] += 1
    return sent


def count_sale_as_redemption(*, lead, by=None) -> bool:
    """A lead closed won on its offer took that offer up: count it once, as a redemption would,
    unless the lead already redeemed it. A sale is a sale even when the offer has since expired
    or sold out; it is then not counted (the limit holds). True when a redemption was counted."""
    if lead.offer_id is None:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                Redemption.objects.create(offer_id=lead.offer_id, lead=lead, redeemed_by=by)
        except IntegrityError:
            return False  # redeemed already, from the console or the API
        counted = (
            Offer.objects.filter(pk=lead.offer_id)
            .filter(Q(quantity_limit__isnull=True) | Q(redeemed__lt=F("quantity_limit")))
            .update(redeemed=F("redeemed") + 1)
        )
        if not counted:
            transaction.set_rollback(True)  # sold out: the redemption row goes, the sale stays
            return False
    return True
