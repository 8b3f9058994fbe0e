"""The CSR call console: the page a CSR keeps open all day (SPEC "Campaigns and offers").

One search box (focused; Enter picks the first match) finds a caller by phone in any format,
name, e-mail or an offer code; the caller's panel shows why they inquired, the offers they have,
score and timeline, and the log-the-call form with the scripted questions; the live offers
stand beside it. A caller the search does not find is created from the same page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from campaigns.briefing import briefing
from campaigns.selectors import offer_by_code, replacement_for
from crm.access import role_required, staff_required
from crm.roles import Role
from crm.selectors import find_callers
from followups.letters.selectors import letter_by_code
from leads import services
from leads.forms import LogInteractionForm
from leads.selectors import sees_every_lead, visible_leads
from leads.views import _lead_page_context
from scoring.services import published_rule_book


def _results(request, text: str) -> dict:
    """Callers matching the text (each with their latest lead) and the offer it may be a code of."""
    callers = find_callers(text, user=request.user)
    rows = [{"contact": contact, "lead": next(iter(contact.leads.all()), None)} for contact in callers]
    offer = offer_by_code(text) if text and " " not in text.strip() else None
    letter = None if offer else letter_by_code(text)
    if letter is not None and not visible_leads(request.user).filter(pk=letter.lead_id).exists():
        letter = None
    return {
        "letter": letter,
        "q": text,
        "can_take_new_callers": sees_every_lead(request.user),
        "rows": rows,
        "offer": offer,
        "replacement": replacement_for(offer) if offer and offer.status in ("expired", "sold_out") else None,
    }


@staff_required
def console(request):
    context = {
        "results": _results(request, request.GET.get("q", "")),
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
            form = LogInteractionForm(book=published_rule_book(), initial={"offer_code": results["letter"].code})
        context["picked"] = _lead_page_context(request, lead, form)
    return render(request, "leads/_console_results.html", context)


@staff_required
def console_caller(request, pk):
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    return render(request, "leads/_console_caller.html", _lead_page_context(request, lead))


@role_required(Role.CSR, Role.MARKETING, Role.MANAGER)
@require_POST
def new_caller(request):
    """Create the caller (or find them: never twice) and log the inbound call. For the roles that
    see every lead: the caller may already have a lead that a salesperson could not see."""
    data = request.POST
    try:
        logged = services.take_inbound_call(
            by=request.user,
            note=data.get("note", ""),
            offer_code=data.get("offer_code", "").strip(),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            company=data.get("company", ""),
        )
    except ValidationError as exc:
        return render(request, "leads/_new_caller.html", {"errors": exc.message_dict, "data": data}, status=200)
    messages.success(request, f"Call logged for {logged.lead.contact}. Score {logged.score.total}.")
    lead = get_object_or_404(visible_leads(request.user), pk=logged.lead.pk)
    return render(request, "leads/_console_caller.html", _lead_page_context(request, lead))
