"""The lead page and what is done from it that refreshes it: logging an interaction, redeeming
an offer. Thin: each action is one call into a service; the page is desk.lead_page's."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from campaigns.models import Offer
from config.errors import Conflict
from config.ids import parse_id
from crm.access import staff_required
from crm.submissions import submit_once
from desk.lead_page import lead_page, log_form, offers_panel
from leads import services
from leads.kinds import InteractionKind
from leads.redemptions import redeem_offer
from leads.selectors import visible_leads


@staff_required
def lead_detail(request, pk):
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    return render(request, "leads/lead_detail.html", lead_page(request.user, lead))


def _log_once(request, lead, form) -> dict:
    """Log the form's interaction with the facts the caller changed, once however many times the
    form arrives."""
    data = form.cleaned_data
    minutes = data.get("duration_minutes")
    facts = form.fact_changes()

    def log() -> int:
        result = services.log_interaction_and_facts(
            lead_id=lead.pk,
            facts=facts,
            kind=data["kind"],
            author=request.user,
            note=data["note"],
            duration_seconds=minutes * 60 if minutes is not None else None,
            answers=form.answers(),
            offer_code=data["offer_code"],
        )
        return result.interaction.pk

    _, first = submit_once(request, log)
    return {"kind": dict(InteractionKind.choices)[data["kind"]], "repeat": not first, "facts": bool(facts) and first}


def logged_message(logged: dict) -> str:
    if logged["repeat"]:
        return f"{logged['kind']} was already logged: the form arrived twice and counts once."
    if logged["old_score"] == logged["new_score"]:
        message = f"{logged['kind']} logged. Score stays at {logged['new_score']}."
    else:
        message = f"{logged['kind']} logged. Score {logged['old_score']} → {logged['new_score']}."
    if logged.get("new_stage"):
        message += f" The lead is {logged['new_stage'].lower()} now."
    return message


@staff_required
@require_POST
def log_interaction(request, pk):
    """Log an interaction from the lead page or the console.

    htmx gets the refreshed score, form and timeline panel (with field errors, as a 200 because
    htmx swaps only 2xx); a plain form post is redirected back to the lead page on success, so
    reloading the page cannot log the call twice, and gets the page with errors (400) otherwise.
    """
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    form = log_form(request.user, lead, request.POST)
    if form.is_valid():
        old_score, old_stage = lead.score, lead.stage
        try:
            logged = _log_once(request, lead, form)
        except Conflict as exc:  # an erased contact, on a page opened before the erasure
            return _refused(request, lead, exc)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            lead.refresh_from_db()
            logged.update(old_score=old_score, new_score=lead.score)
            if lead.stage != old_stage:
                logged["new_stage"] = lead.get_stage_display()
            logged["message"] = logged_message(logged)
            if not request.htmx:
                messages.success(request, logged_message(logged))
                return redirect("lead-detail", pk=lead.pk)
            response = render(request, "leads/_lead_activity.html", lead_page(request.user, lead, logged=logged))
            response["HX-Trigger"] = "lead-changed"  # the console's results re-read the stage and score
            return response
    form.focus_first_error()
    context = lead_page(request.user, lead, form=form)
    if request.htmx:
        return render(request, "leads/_lead_activity.html", context)
    return render(request, "leads/lead_detail.html", context, status=400)


def _refused(request, lead, exc: Conflict):
    """A refusal the form cannot show (the page no longer has the form): the lead page again,
    with why."""
    messages.error(request, exc.detail)
    url = reverse("lead-detail", kwargs={"pk": lead.pk})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


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
    """A CSR or a salesperson redeems a live offer for the caller, from the console or the lead
    page; the counting is leads.redemptions.redeem_offer's (exactly once, never past the limit)."""
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    error, done = _redeem(request, lead)
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or done)
        return redirect("lead-detail", pk=lead.pk)
    response = render(request, "leads/_lead_offers.html", offers_panel(lead, error=error, done=done))
    if not error:
        response["HX-Trigger"] = "offer-redeemed"  # the console's live offers show what is left
    return response
