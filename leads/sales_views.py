"""Browser pages for the sales side: the queue, the lead's sales panel actions, the manager's
list of hot leads waiting, and notifications. Thin: every action is a call into leads.sales."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import Conflict, error_text
from config.ids import parse_int
from crm.access import role_required, staff_required
from crm.roles import Role, has_role
from leads import sales
from leads.models import Notification
from leads.selectors import feedback_by_source, queue_for, visible_leads

sales_or_manager = role_required(Role.SALES, Role.MANAGER)


def sales_panel_context(user, lead) -> dict:
    """What the lead page's sales panel may offer this user for this lead."""
    is_manager = has_role(user, Role.MANAGER)
    open_lead = lead.stage in ("inquiry", "sales_ready", "unclosed")
    return {
        "can_handover": open_lead and (is_manager or has_role(user, Role.MARKETING)),
        "can_claim": open_lead and lead.owner_id is None and has_role(user, Role.SALES, Role.MANAGER),
        "can_accept": lead.owner_id == user.pk and lead.owner_accepted_at is None,
        "can_close": open_lead and (lead.owner_id == user.pk or is_manager),
        "can_rate": lead.owner_id == user.pk or is_manager,
        "salespeople": get_user_model().objects.filter(groups__name=Role.SALES, is_active=True).order_by("username"),
    }


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
    lead = sales.claim_next(by=request.user)
    if lead is None:
        messages.info(request, "The pool is empty: no sales-ready lead is waiting.")
        return redirect("queue")
    messages.success(request, f"{lead.contact} is yours now. Call them before they cool down.")
    return redirect("lead-detail", pk=lead.pk)


@sales_or_manager
@require_POST
def claim(request, pk):
    within = visible_leads(request.user)
    return _act(request, lambda: sales.claim_lead(lead_id=pk, by=request.user, within=within), "The lead is yours.", pk)


@staff_required
@require_POST
def accept(request, pk):
    return _act(request, lambda: sales.accept_lead(lead_id=pk, by=request.user), "Accepted: it's your lead.", pk)


@role_required(Role.MARKETING, Role.MANAGER)
@require_POST
def handover(request, pk):
    owner = request.POST.get("owner", "")
    return _act(
        request,
        lambda: sales.handover_lead(lead_id=pk, owner_id=owner, by=request.user, within=visible_leads(request.user)),
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
        lambda: sales.close_lead(
            lead_id=pk,
            outcome=outcome,
            by=request.user,
            amount=data.get("amount") or None,
            upsell_accepted=data.get("upsell_accepted") == "on",
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
        lambda: sales.record_feedback(
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
    leads = list(sales.waiting_hot_leads(now)[:500])
    for lead in leads:
        lead.waiting_minutes = int((now - lead.hot_since).total_seconds() // 60)
    return render(request, "leads/waiting.html", {"leads": leads, "rules": sales.rules_of_engagement()})


@staff_required
def notifications(request):
    rows = list(Notification.objects.filter(user=request.user).select_related("lead__contact")[:100])
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "leads/notifications.html", {"notifications": rows})


@role_required(Role.MARKETING, Role.MANAGER)
def feedback_report(request):
    """Sales' ratings of lead quality per campaign and source: marketing's side of the loop."""
    return render(request, "leads/feedback_report.html", {"rows": feedback_by_source()})
