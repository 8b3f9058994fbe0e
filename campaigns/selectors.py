"""Reads of campaigns and offers."""

from campaigns.models import Offer


def offer_by_code(code: str) -> Offer | None:
    """The offer printed with this code, typed in any case and with stray spaces; None if unknown."""
    code = (code or "").strip().upper()
    if not code:
        return None
    return Offer.objects.select_related("campaign").filter(code=code).first()
