"""Browser pages for leads: the list with search and filters, the lead page, logging a call."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from crm.roles import roles_of
from leads import services
from leads.forms import LeadSearchForm, LogInteractionForm
from leads.selectors import lead_timeline, search_leads, visible_leads
from scoring.services import explain, published_rule_book


def staff_required(view):
    """Signed in and holding one of the four roles."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not roles_of(request.user):
            raise PermissionDenied("Your account has no CRM role; ask a manager to give you one.")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@staff_required
def lead_list(request):
    form = LeadSearchForm(request.GET or None)
    leads = visible_leads(request.user).order_by("-score", "-id")
    if form.is_valid():
        data = form.cleaned_data
        leads = search_leads(leads, data["q"])
        if data["stage"]:
            leads = leads.filter(stage=data["stage"])
        if data["temperature"]:
            leads = leads.filter(temperature=data["temperature"])
        if data["mine"]:
            leads = leads.filter(owner=request.user)
    page = Paginator(leads, 25).get_page(request.GET.get("page"))
    template = "leads/_lead_rows.html" if request.htmx else "leads/lead_list.html"
    return render(request, template, {"form": form, "page": page})


def _lead_page_context(request, lead, form=None):
    book = published_rule_book()
    return {
        "lead": lead,
        "score": explain(lead),
        "timeline": lead_timeline(lead),
        "form": form or LogInteractionForm(book=book),
    }


@staff_required
def lead_detail(request, pk):
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    return render(request, "leads/lead_detail.html", _lead_page_context(request, lead))


@staff_required
@require_POST
def log_interaction(request, pk):
    """Log an interaction from the lead page; answers with the refreshed panel (htmx) or page."""
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    form = LogInteractionForm(request.POST, book=published_rule_book())
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        minutes = data.get("duration_minutes")
        try:
            services.log_interaction(
                lead_id=lead.pk, kind=data["kind"], author=request.user, note=data["note"],
                duration_seconds=minutes * 60 if minutes is not None else None,
                answers=form.answers(), offer_code=data["offer_code"],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
            status = 400
        else:
            lead.refresh_from_db()
            form = None
    else:
        status = 400
    if request.htmx:  # htmx swaps 2xx only: the panel with its field errors is the answer
        return render(request, "leads/_lead_activity.html", _lead_page_context(request, lead, form))
    return render(request, "leads/lead_detail.html", _lead_page_context(request, lead, form), status=status)
