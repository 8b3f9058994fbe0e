"""Offers in the work: a CSR or a salesperson redeems a live offer for the caller from the
console or the lead page. The counting is campaigns.services.redeem_offer's (exactly once,
never beyond the quantity limit); this module only shows the panel and its refusals."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns.models import Offer, OfferStatus
from campaigns.selectors import live_offers
from campaigns.services import redeem_offer
from config.errors import Conflict
from config.ids import parse_id
from crm.access import staff_required
from crm.submissions import submit_once
from leads.selectors import visible_leads


def lead_offers_context(lead, *, error: str = "", done: str = "") -> dict:
    """The offers panel: what the lead has redeemed, and the live offers it may still take up."""
    redeemed = list(lead.redemptions.select_related("offer", "redeemed_by").order_by("redeemed_at"))
    taken = {r.offer_id for r in redeemed}
    open_lead = lead.stage not in ("dead",)
    choices = [offer for offer in live_offers() if offer.pk not in taken] if open_lead else []
    return {
        "lead": lead,
        "offer_status": OfferStatus(lead.offer.status).label if lead.offer else "",
        "redemptions": redeemed,
        "redeemable_offers": choices,
        "redeem_error": error,
        "redeem_done": done,
    }


def _redeem(request, lead) -> tuple[str, str]:
    """Redeem the chosen offer, once however often the form arrives: (error, confirmation)."""
    offer_id = parse_id(request.POST.get("offer", ""))
    if offer_id is None:
        return "Choose the offer the caller takes up.", ""

    def take_up() -> int:
        return redeem_offer(offer_id=offer_id, lead_id=lead.pk, by=request.user, within=visible_leads(request.user)).pk

    try:
        _, first = submit_once(request, take_up)
    except Conflict as exc:
        return exc.detail, ""
    except Offer.DoesNotExist:
        return "That offer does not exist any more.", ""
    return "", "Redeemed." if first else "Already redeemed: the form arrived twice and counts once."


@staff_required
@require_POST
def redeem(request, pk):
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    error, done = _redeem(request, lead)
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or done)
        return redirect("lead-detail", pk=lead.pk)
    response = render(request, "leads/_lead_offers.html", lead_offers_context(lead, error=error, done=done))
    if not error:
        response["HX-Trigger"] = "offer-redeemed"  # the console's live offers show what is left
    return response
