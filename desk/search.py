"""Search from the top bar of every page (`GET /search/?q=`): one box for people, companies,
leads and offer or letter codes, answered grouped:

- people (leads.selectors.find_callers: a phone in any format or its last four or more digits,
  the start of a name, an e-mail or their company's name), each with their latest lead;
- companies whose name starts with what was typed;
- the offer whose code it is, with the leads that came in on it, or the letter whose response
  code it is, with the lead it was written for (leads.codes.resolve).

Only what the user may see: a salesperson finds only the people and companies behind their own
leads and the sales-ready pool, and a letter only when its lead is one of those. Every branch is
an indexed query, so a search costs the same few queries whatever the size of the book. Typing
in the box asks for suggestions (`/search/suggest/`, htmx); Enter, or a browser without script,
opens the results page.
"""

from django.http import HttpResponse
from django.shortcuts import render

from campaigns.models import OfferStatus
from crm.access import staff_required
from leads import codes
from leads.selectors import find_callers, find_companies, leads_on_offer, sees_every_lead, visible_leads

MIN_LENGTH = 2  # one letter matches half the book
RESULTS = 20  # per group on the results page
SUGGESTIONS = 5  # per group under the box


def search(user, text: str, *, limit: int) -> dict:
    """What `text` finds for `user`, grouped, at most `limit` in each group."""
    text = (text or "").strip()
    found = {"q": text, "people": [], "companies": [], "offer": None, "offer_leads": [], "letter": None}
    found["everyone"] = sees_every_lead(user)
    found["too_short"] = 0 < len(text) < MIN_LENGTH
    if len(text) < MIN_LENGTH:
        return found
    found["people"] = [
        {"contact": contact, "lead": next(iter(contact.leads.all()), None)}
        for contact in find_callers(text, user=user, limit=limit)
    ]
    found["companies"] = find_companies(text, user=user, limit=limit)
    code = codes.resolve(text)
    if code.offer is not None:
        found["offer"] = code.offer
        found["offer_status"] = OfferStatus(code.offer.status).label
        found["offer_leads"] = leads_on_offer(code.offer, user=user, limit=limit)
    elif code.letter is not None:
        lead = visible_leads(user).filter(pk=code.letter.lead_id).first()
        if lead is not None:  # a letter to someone else's lead says nothing to a salesperson
            found["letter"] = {"letter": code.letter, "lead": lead}
    found["empty"] = not (found["people"] or found["companies"] or found["offer"] or found["letter"])
    return found


@staff_required
def search_page(request):
    """The results page: what Enter in the top bar's box opens, and all a browser without
    script needs."""
    results = search(request.user, request.GET.get("q", ""), limit=RESULTS)
    return render(request, "desk/search.html", {"results": results, "limit": RESULTS})


@staff_required
def suggest(request):
    """The suggestions under the top bar's box as the user types (htmx)."""
    results = search(request.user, request.GET.get("q", ""), limit=SUGGESTIONS)
    if len(results["q"]) < MIN_LENGTH:
        return HttpResponse("")  # nothing under the box (an empty box hides it)
    return render(request, "desk/_search_suggest.html", {"results": results})
