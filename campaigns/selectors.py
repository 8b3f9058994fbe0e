"""Reads of campaigns and offers."""

from django.db.models import Prefetch
from django.utils import timezone

from campaigns.models import Offer, OfferStatus, Placement


def offer_by_code(code: str) -> Offer | None:
    """The offer printed with this code, typed in any case and with stray spaces; None if unknown."""
    code = (code or "").strip().upper()
    if not code:
        return None
    return Offer.objects.select_related("campaign").filter(code=code).order_by().first()


def live_offers(now=None) -> list[Offer]:
    """Offers running now (launched, started, before the deadline, not sold out), soonest deadline first."""
    now = now or timezone.now()
    offers = (
        Offer.objects.filter(launched_at__isnull=False, starts_at__lte=now, deadline__gt=now)
        .select_related("campaign")
        .prefetch_related(Prefetch("placements", queryset=Placement.objects.order_by("starts_on")))
        .order_by("deadline", "code")
    )
    return [offer for offer in offers if offer.status_at(now) == OfferStatus.LIVE]


def replacement_for(offer: Offer, now=None) -> Offer | None:
    """What a CSR can offer instead of an expired or sold-out offer: a live one of the same campaign."""
    now = now or timezone.now()
    candidates = Offer.objects.filter(
        campaign_id=offer.campaign_id, launched_at__isnull=False, starts_at__lte=now, deadline__gt=now
    ).exclude(pk=offer.pk)
    return next((o for o in candidates.order_by("deadline") if o.status_at(now) == OfferStatus.LIVE), None)


def placement_for(offer: Offer, *, utm_source: str = "", utm_medium: str = "") -> Placement | None:
    """The placement a response came through: the only one, or the one whose outlet is the UTM
    source (or whose channel is the UTM medium), so that cost and revenue meet per placement."""
    placements = list(offer.placements.all())
    if len(placements) == 1:
        return placements[0]
    for wanted, attribute in ((utm_source, "outlet"), (utm_medium, "channel")):
        wanted = (wanted or "").strip().lower()
        match = next((p for p in placements if wanted and getattr(p, attribute).strip().lower() == wanted), None)
        if match is not None:
            return match
    return None
