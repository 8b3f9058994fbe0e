"""Reads of campaigns and offers."""

from django.db.models import Prefetch, Sum
from django.utils import timezone

from campaigns.models import Campaign, Channel, Offer, OfferStatus, Placement


def campaigns_for_list(*, with_archived: bool = False):
    """The campaign list: the open campaigns (newest first), then, when asked, the archived ones,
    each with its offers and what each offer's ads cost (`ad_cost`), in two queries."""
    offers = Offer.objects.annotate(ad_cost=Sum("placements__cost")).order_by("deadline", "code")
    campaigns = Campaign.objects.prefetch_related(Prefetch("offers", queryset=offers)).order_by(
        "archived", "-created_at"
    )
    return campaigns if with_archived else campaigns.filter(archived=False)


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


def placement_for(offer: Offer, *, utm_source: str = "", utm_medium: str = "", on=None) -> Placement | None:
    """The placement a response to `offer` came through, or None when the arrival does not say
    (docs/attribution.md). The code names the offer; the UTM fields of the same arrival, when
    there are any, say where the prospect saw it, and a placement is credited only if they agree:

    - a UTM source: the placement whose outlet is that source (a Google ad's click that quoted a
      code printed in a mailing came through Google, not through the mailing: none);
    - only a UTM medium: the placement whose channel is that medium;
    - no UTM source or medium: the offer's only placement (with several, which one is unknown).

    Two placements that fit the UTM (two runs in one outlet) are told apart by the one running
    `on` the day of the arrival (today by default); still two, none.
    """
    placements = list(offer.placements.all())
    source, medium = (utm_source or "").strip().casefold(), (utm_medium or "").strip().casefold()
    if not source and not medium:
        return placements[0] if len(placements) == 1 else None
    if source:
        fitting = [p for p in placements if p.outlet.strip().casefold() == source]
    else:
        fitting = [p for p in placements if _same_channel(p.channel, medium)]
    if len(fitting) > 1:
        day = on or timezone.localdate()
        fitting = [p for p in fitting if p.starts_on <= day <= p.ends_on]
    return fitting[0] if len(fitting) == 1 else None


def _same_channel(channel: str, medium: str) -> bool:
    """A placement's channel and a UTM medium name the same thing: "E-mail" and "email" do."""
    known = Channel.known(medium)
    return channel.strip().casefold() == medium or (known is not None and Channel.known(channel) == known)


# A campaign's segment (campaigns.services.validate_segment) as a filter over leads.
SEGMENT_LOOKUPS = {
    "industry_codes": "contact__company__industry_code__in",
    "size_bands": "contact__company__size_band__in",
    "regions": "contact__company__region__in",
    "personas": "contact__persona__in",
    "stages": "stage__in",
    "score_min": "score__gte",
    "score_max": "score__lte",
}


def in_segment(leads, segment: dict):
    """The leads among `leads` that a campaign's saved filter targets."""
    return leads.filter(
        **{SEGMENT_LOOKUPS[key]: value for key, value in (segment or {}).items() if key in SEGMENT_LOOKUPS}
    )
