"""Offers taken up by leads: a redemption counted exactly once per lead and offer, never beyond
the offer's quantity limit, however many callers redeem at once. A sale on the offer a lead came
in on counts as one too. (The offers themselves are campaigns'.)"""

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns.models import Offer, OfferStatus, Redemption
from config.errors import Conflict
from crm.erased import refuse_if_erased
from leads.models import Lead


def redeem_offer(*, offer_id: int, lead_id: int, by=None, within=None) -> Offer:
    """Count one redemption of an offer by a lead: once per lead, never beyond the limit.

    The counter moves with a conditional UPDATE (… WHERE redeemed < quantity_limit), so however
    many callers redeem at once, exactly the limit succeed; the unique (offer, lead) row makes a
    second redemption by the same lead a conflict. `within` limits the leads that may redeem
    (the caller's visible leads); a lead outside it raises Lead.DoesNotExist.
    """
    lead = (Lead.objects.all() if within is None else within).select_related("contact").get(pk=lead_id)
    refuse_if_erased(lead.contact)
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


def count_sale_as_redemption(*, lead, by=None) -> bool:
    """A lead closed won on the offer it came in on took that offer up: count it once, as a
    redemption would, unless the lead already redeemed an offer (the sale is that one's). Only
    an offer that was running (launched and started) counts; one that has since expired or sold
    out still counts while the limit has room, never past it. True when a redemption was counted."""
    if lead.offer_id is None or Redemption.objects.filter(lead=lead).exists():
        return False
    now = timezone.now()
    if not Offer.objects.filter(pk=lead.offer_id, launched_at__lte=now, starts_at__lte=now).exists():
        return False  # a draft's or a future offer's code: no offer was taken up
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
