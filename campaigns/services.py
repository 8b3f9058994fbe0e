"""Every write to campaigns and offers: saving with validation, launching, redeeming."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models import Campaign, Offer, OfferStatus, Placement
from config.errors import Conflict
from crm.roles import Role, members
from notifications.services import notify_many

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


def offer_errors(offer: Offer) -> dict[str, list[str]]:
    """Every rule an offer's own fields break, in words and keyed by field (empty: none): a code,
    not another offer's; the timing and the limit, not below what is already redeemed; a campaign
    still open to new offers. save_offer refuses with these, and the browser form shows them beside
    its fields before anything is saved, together with the placements' errors."""
    errors: dict[str, list[str]] = {}
    if not offer.code:
        errors["code"] = ["Give the code printed on the letters and ads."]
    elif Offer.objects.filter(code=offer.code).exclude(pk=offer.pk).exists():
        errors["code"] = [f"The code {offer.code} is already used by another offer."]
    if offer.starts_at and offer.deadline and offer.deadline <= offer.starts_at:
        errors["deadline"] = ["The deadline must come after the start."]
    if offer.quantity_limit is not None and offer.quantity_limit < 1:
        errors["quantity_limit"] = ["Give a limit of at least 1, or none."]
    elif offer.quantity_limit is not None and offer.pk and offer.redeemed > offer.quantity_limit:
        errors["quantity_limit"] = [f"{offer.redeemed} have already been redeemed."]
    campaign = offer.campaign if offer.campaign_id else None
    if campaign is not None and campaign.archived:
        already_in_it = offer.pk and Offer.objects.filter(pk=offer.pk, campaign=campaign).exists()
        if not already_in_it:
            errors["campaign"] = [f"The campaign {campaign.name} is archived: it takes no new offers."]
    return errors


PLACEMENT_FIELDS = ["channel", "outlet", "starts_on", "ends_on", "cost"]


def save_offer(*, offer: Offer | None = None, placements: list[dict] | None = None, **fields) -> Offer:
    """Create or change an offer and, when given, replace its placements; refused with field
    errors (offer_errors, and a placement that ends before it starts or costs less than 0).

    A placement given with the `id` of one of the offer's placements (the offer editor's rows)
    updates that row; one without an id updates a placement with the same channel and outlet, if
    any: so the leads attributed to a placement keep it when the offer is saved again."""
    offer = offer or Offer()
    if "code" in fields:
        fields["code"] = normalize_code(fields["code"])
    for name, value in fields.items():
        setattr(offer, name, value)
    errors = offer_errors(offer)
    placement_rows = []
    for i, item in enumerate(placements or []):
        row = Placement(offer=offer, **item)
        try:
            row.clean()
        except ValidationError as exc:
            errors.setdefault("placements", []).extend(f"Placement {i + 1}: {m}" for m in exc.messages)
        placement_rows.append(row)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        offer.save()
        if placements is not None:
            _replace_placements(offer, placement_rows)
    return offer


def _replace_placements(offer: Offer, rows: list[Placement]) -> None:
    """The offer's placements become `rows`, keeping the row (its id) of every placement that is
    still there (see save_offer), deleting the others."""
    left = {placement.pk: placement for placement in offer.placements.all()}

    def same_ad(placement: Placement, row: Placement) -> bool:
        return all(
            getattr(placement, name).strip().casefold() == getattr(row, name).strip().casefold()
            for name in ("channel", "outlet")
        )

    kept, new = [], []
    for row in rows:
        row.offer = offer
        match = left.pop(row.pk, None) if row.pk else None
        if match is None and row.pk is None:
            match = next((placement for placement in left.values() if same_ad(placement, row)), None)
            if match is not None:
                del left[match.pk]
        row.pk = match.pk if match is not None else None
        (kept if match is not None else new).append(row)
    if left:
        Placement.objects.filter(pk__in=left).delete()
    if kept:
        Placement.objects.bulk_update(kept, PLACEMENT_FIELDS)
    Placement.objects.bulk_create(new)


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
    if offer.campaign.archived:
        reasons.append(f"The campaign {offer.campaign.name} is archived: restore it to launch its offers.")
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
    """Create or change a campaign: its name, description, segment, and whether it is archived
    (hidden from the campaign list, closed to new offers, its offers' history kept). Refused with
    field errors: no name, a name another campaign has in any case, a segment with unknown filters."""
    campaign = campaign or Campaign(created_by=by)
    if "segment" in fields:
        fields["segment"] = validate_segment(fields["segment"])
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    for name, value in fields.items():
        setattr(campaign, name, value)
    if not campaign.name:
        raise ValidationError({"name": ["Give the campaign a name."]})
    _refuse_a_taken_name(campaign)
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError:
        _refuse_a_taken_name(campaign)  # another request took the name meanwhile
        raise
    return campaign


def _refuse_a_taken_name(campaign: Campaign) -> None:
    """The name check of the constraint campaign_name_unique_ci, in words: the database's own
    lower() on both sides, so the two always agree."""
    other = (
        Campaign.objects.alias(key=Lower("name"))
        .filter(key=Lower(Value(campaign.name)))
        .exclude(pk=campaign.pk)
        .first()
    )
    if other is None:
        return
    if other.archived:
        message = f"An archived campaign is already called “{other.name}”: restore it, or choose another name."
    else:
        message = f"Another campaign is already called “{other.name}”: choose another name."
    raise ValidationError({"name": [message]})


ENDING_SOON = timedelta(days=1)
NEARLY_SOLD_OUT = 0.1  # a tenth (at least one) left


def alert_on_offers(*, now=None) -> dict:
    """Tell marketing and the managers, once each, about a live offer ending within a day or
    nearly sold out (a tenth or less left), so they can extend it, replace it or brief the staff.
    Each alert is claimed with a conditional UPDATE: two runs at once alert once."""
    now = now or timezone.now()
    people = list(members(Role.MARKETING, Role.MANAGER))
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
