"""Browser pages for the sales side: the queue, the lead page's sales panel actions, bulk
hand-over from the lead list, the manager's list of hot leads waiting, and sales' ratings for
marketing. Thin: every action is a call into sales.services."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import Conflict, error_text
from config.ids import parse_int
from crm.access import role_required, staff_required
from crm.roles import Role, members
from leads.engagement import rules_of_engagement
from leads.forms import BulkHandoverForm, LeadSearchForm
from leads.kinds import Source
from leads.selectors import visible_leads
from sales import services
from sales.selectors import feedback_by_source, queue_for

sales_or_manager = role_required(Role.SALES, Role.MANAGER)


def _act(request, action, success: str, pk: int):
    """Run a sales action on a lead the user may see (404 otherwise, before anything else is
    checked); its refusal (409 or bad input) becomes a message on the lead page."""
    if not visible_leads(request.user).filter(pk=pk).exists():
        raise Http404("No lead you may see has this id.")
    try:
        action()
    except ObjectDoesNotExist as exc:  # not a lead this user may see
        raise Http404 from exc
    except Conflict as exc:
        messages.error(request, exc.detail)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect("lead-detail", pk=pk)


@sales_or_manager
def queue(request):
    """The salesperson's queue; the tables refresh themselves (htmx) while the page is open."""
    template = "leads/_queue_tables.html" if request.htmx else "leads/queue.html"
    try:
        context = queue_for(request.user, after=request.GET.get("after", ""))
    except ValidationError as exc:  # a page link that was not ours: show the first page
        messages.error(request, error_text(exc))
        return render(request, template, queue_for(request.user), status=400)
    return render(request, template, context)


@sales_or_manager
@require_POST
def claim_next(request):
    lead = services.claim_next(by=request.user)
    if lead is None:
        messages.info(request, "The pool is empty: no sales-ready lead is waiting.")
        return redirect("queue")
    messages.success(request, f"{lead.contact} is yours now. Call them before they cool down.")
    return redirect("lead-detail", pk=lead.pk)


@sales_or_manager
@require_POST
def claim(request, pk):
    within = visible_leads(request.user)
    return _act(
        request, lambda: services.claim_lead(lead_id=pk, by=request.user, within=within), "The lead is yours.", pk
    )


@staff_required
@require_POST
def accept(request, pk):
    return _act(request, lambda: services.accept_lead(lead_id=pk, by=request.user), "Accepted: it's your lead.", pk)


@role_required(Role.MARKETING, Role.MANAGER)
@require_POST
def handover(request, pk):
    owner = request.POST.get("owner", "")
    return _act(
        request,
        lambda: services.handover_lead(lead_id=pk, owner_id=owner, by=request.user, within=visible_leads(request.user)),
        "Handed over; the salesperson has been notified.",
        pk,
    )


@sales_or_manager
@require_POST
def close(request, pk):
    data = request.POST
    outcome = data.get("outcome", "")
    return _act(
        request,
        lambda: services.close_lead(
            lead_id=pk,
            outcome=outcome,
            by=request.user,
            amount=data.get("amount") or None,
            upsell_accepted=data.get("upsell_accepted") == "on",
            upsell_amount=data.get("upsell_amount") or None,
            reason=data.get("reason", ""),
            within=visible_leads(request.user),
        ),
        f"Closed: {outcome}.",
        pk,
    )


@sales_or_manager
@require_POST
def feedback(request, pk):
    rating = request.POST.get("rating", "")
    return _act(
        request,
        lambda: services.record_feedback(
            lead_id=pk,
            by=request.user,
            rating=number if (number := parse_int(rating)) is not None else rating,
            reason=request.POST.get("reason", ""),
            within=visible_leads(request.user),
        ),
        "Thanks: marketing sees your rating per campaign and source.",
        pk,
    )


@role_required(Role.MANAGER)
def waiting(request):
    now = timezone.now()
    leads = list(services.waiting_hot_leads(now)[:500])
    for lead in leads:
        lead.waiting_minutes = int((now - lead.hot_since).total_seconds() // 60)
    return render(request, "leads/waiting.html", {"leads": leads, "rules": rules_of_engagement()})


@role_required(Role.MARKETING, Role.MANAGER)
def feedback_report(request):
    """Sales' ratings of lead quality per campaign and source: marketing's side of the loop."""
    labels = dict(Source.choices)
    rows = [{**row, "source_label": labels.get(row["source"], row["source"])} for row in feedback_by_source()]
    return render(request, "leads/feedback_report.html", {"rows": rows})


@role_required(Role.MANAGER)
@require_POST
def bulk_handover(request):
    """The leads ticked on the lead list go to one salesperson; the list comes back as it was
    (its query string is posted along), with how many were handed over and, for each refused, why."""
    salespeople = members(Role.SALES).order_by("username")
    listed = LeadSearchForm(QueryDict(request.POST.get("list_query", "")), salespeople=list(salespeople))
    listed.is_valid()
    query = listed.query()
    back = reverse("lead-list") + (f"?{query.urlencode()}" if query else "")
    form = BulkHandoverForm(request.POST, salespeople=salespeople)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect(back)
    owner = members(Role.SALES).get(pk=form.cleaned_data["owner"])
    handed, refused = services.handover_leads(
        lead_ids=form.cleaned_data["lead"], owner=owner, by=request.user, within=visible_leads(request.user)
    )
    if handed:
        leads = f"{len(handed)} lead{'s' if len(handed) != 1 else ''}"
        messages.success(request, f"Handed {leads} to {owner.username}, who has been notified.")
    for name, why in refused:
        messages.error(request, f"Not handed over: {name}: {why}")
    return redirect(back)
