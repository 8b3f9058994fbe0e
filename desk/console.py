"""The CSR call console: the page a CSR keeps open all day (SPEC "Campaigns and offers").

One search box (focused; Enter picks the first match) finds a caller by phone in any format,
name, e-mail or an offer code; the caller's panel shows why they inquired, the offers they have,
score and timeline, and the log-the-call form with the scripted questions; the live offers
stand beside it. A caller the search does not find is created from the same page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from campaigns.briefing import briefing
from campaigns.selectors import replacement_for
from crm.access import role_required, staff_required
from crm.normalize import phone_search_key
from crm.roles import Role
from crm.submissions import submit_once
from desk.lead_page import lead_page, log_form
from leads import codes, intake
from leads.selectors import find_callers, leads_on_offer, sees_every_lead, visible_leads


def _results(request, text: str) -> dict:
    """Callers matching the text (each with their latest lead) and the offer or letter it may
    be the code of (a letter only when its lead is one the user may see); for an offer, the
    leads that came in on it, newest first, that the user may see."""
    callers = find_callers(text, user=request.user)
    rows = [{"contact": contact, "lead": next(iter(contact.leads.all()), None)} for contact in callers]
    code = codes.resolve(text)
    offer, letter = code.offer, code.letter
    if letter is not None and not visible_leads(request.user).filter(pk=letter.lead_id).exists():
        letter = None
    return {
        "letter": letter,
        "q": text,
        "can_take_new_callers": sees_every_lead(request.user),
        "rows": rows,
        "offer": offer,
        "offer_leads": leads_on_offer(offer, user=request.user) if offer else [],
        "replacement": replacement_for(offer) if offer and offer.status in ("expired", "sold_out") else None,
    }


@staff_required
def console(request):
    text = request.GET.get("q", "")
    context = {
        "results": _results(request, text),
        "new_caller": new_caller_prefill(text) if request.GET.get("new") else None,
        **briefing(),
    }
    return render(request, "leads/console.html", context)


@staff_required
def console_search(request):
    """Results as the CSR types; with pick=1 (Enter) the first caller's panel opens too."""
    results = _results(request, request.GET.get("q", ""))
    context = {"results": results}
    first = results["letter"].lead_id if results["letter"] else None
    if first is None and results["rows"] and results["rows"][0]["lead"]:
        first = results["rows"][0]["lead"].pk
    if request.GET.get("pick") and first:
        lead = get_object_or_404(visible_leads(request.user), pk=first)
        form = None
        if results["letter"] and results["letter"].lead_id == lead.pk:  # the code goes into the call log
            form = log_form(request.user, lead, initial={"offer_code": results["letter"].code})
        context.update(lead_page(request.user, lead, form=form), picked=True)
    return render(request, "leads/_console_results.html", context)


@staff_required
def console_offers(request):
    """The live offers beside the caller, re-read after a redemption so "left" is true."""
    return render(request, "leads/_console_offers.html", briefing())


@staff_required
def console_caller(request, pk):
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    return render(request, "leads/_console_caller.html", lead_page(request.user, lead))


NEW_CALLER_FIELDS = ("first_name", "last_name", "phone", "email", "company", "offer_code", "note")


def new_caller_prefill(text: str) -> dict:
    """What the CSR searched for, put where it belongs on the new-caller form."""
    text = (text or "").strip()
    if not text:
        return {}
    if "@" in text:
        return {"email": text}
    if phone_search_key(text) or sum(ch.isdigit() for ch in text) >= 4:
        return {"phone": text}
    first, _, last = text.partition(" ")
    return {"first_name": first, "last_name": last} if last else {"last_name": text}


def _new_caller_form(request, *, data=None, errors=None, open_=False, status=200):
    context = {"data": data or {}, "errors": errors or {}, "open": open_}
    return render(request, "leads/_new_caller.html", context, status=status)


@role_required(Role.CSR, Role.MARKETING, Role.MANAGER)
def new_caller(request):
    """GET: the form, filled in from what was searched. POST: create the caller (or find them:
    never twice) and log the inbound call, once however many times the form is sent. For the
    roles that see every lead: the caller may already have a lead a salesperson could not see."""
    if request.method != "POST":
        return _new_caller_form(request, data=new_caller_prefill(request.GET.get("q", "")), open_=True)
    data = {name: request.POST.get(name, "") for name in NEW_CALLER_FIELDS}

    def take_call() -> int:
        return intake.take_inbound_call(by=request.user, **data).lead.pk

    try:
        lead_id, first = submit_once(request, take_call)
    except ValidationError as exc:
        response = _new_caller_form(request, data=data, errors=exc.message_dict, open_=True)
        response["HX-Retarget"] = "#new-caller-box"  # the errors stay in the form, not in the caller panel
        response["HX-Reswap"] = "outerHTML"
        return response
    lead = get_object_or_404(visible_leads(request.user), pk=lead_id)
    verb = "was already logged" if not first else "logged"
    logged = {"message": f"Call {verb} for {lead.contact}. Score {lead.score}."}
    context = {**lead_page(request.user, lead, logged=logged), "new_caller_done": True}
    if not request.htmx:
        messages.success(request, logged["message"])
        return redirect(f"{reverse('console')}?{urlencode({'q': lead.contact.phone or lead.contact.email})}")
    response = render(request, "leads/_console_caller.html", context)
    response["HX-Trigger"] = "lead-changed"  # the results list shows the caller just created
    return response
