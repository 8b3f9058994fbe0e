"""Browser pages for leads: the list (search, filters, sort, CSV export) and editing a lead and its
contact. The lead page itself, which shows what several apps know of the lead, is desk's."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from config.errors import error_text
from config.spreadsheet import csv_lines
from crm.access import role_required, staff_required
from crm.roles import Role, has_role, members
from leads import list_actions, services
from leads.filters import filter_lead_list
from leads.forms import BulkHandoverForm, LeadEditForm, LeadSearchForm
from leads.kinds import Source, Stage
from leads.models import Temperature
from leads.selectors import may_edit, sees_every_lead, visible_leads

LIST_PAGE = 25


def _salespeople():
    return members(Role.SALES).order_by("username")


def _list_view(request, data: QueryDict) -> tuple[LeadSearchForm, QueryDict]:
    """The list's form read from `data` and checked, and the query string of its valid values:
    what the sort headers, the pages, the export and the hand-over carry on."""
    people = list(_salespeople()) if sees_every_lead(request.user) else []
    form = LeadSearchForm(data, salespeople=people)
    form.is_valid()
    form.salespeople = people
    return form, form.query()


def _listed_leads(request, form: LeadSearchForm):
    return filter_lead_list(visible_leads(request.user), user=request.user, **form.criteria())


@staff_required
def lead_list(request):
    """Search, filters and sort all come from the URL, so a view can be bookmarked and every
    page link keeps it; a value the list does not know is shown as an error and ignored (400
    for the page, 200 for htmx, which swaps only 2xx). htmx gets just the rows."""
    form, query = _list_view(request, request.GET)
    page = Paginator(_listed_leads(request, form), LIST_PAGE).get_page(request.GET.get("page"))
    is_manager = has_role(request.user, Role.MANAGER)
    actions = list_actions.for_user(request.user)  # "Add to sequence" (nurture) and the like
    context = {
        "form": form,
        "page": page,
        "list_query": query,
        "sort": form.criteria()["sort"],
        "headers": form.headers(),
        "can_export": has_role(request.user, Role.MARKETING, Role.MANAGER),
        "can_hand_over": is_manager,
        "handover_form": BulkHandoverForm(salespeople=form.salespeople) if is_manager else None,
        "list_actions": actions,
        # The form the row boxes belong to: the hand-over's, which the other actions share.
        "bulk_form": "bulk-handover" if is_manager else ("bulk-actions" if actions else ""),
    }
    template = "leads/_lead_rows.html" if request.htmx else "leads/lead_list.html"
    return render(request, template, context, status=400 if form.errors and not request.htmx else 200)


# --- CSV export ---------------------------------------------------------------------------------

CSV_COLUMNS = [
    ("id", "id"),
    ("first_name", "contact__first_name"),
    ("last_name", "contact__last_name"),
    ("email", "contact__email"),
    ("phone", "contact__phone"),
    ("company", "contact__company__name"),
    ("stage", "stage"),
    ("score", "score"),
    ("temperature", "temperature"),
    ("source", "source"),
    ("owner", "owner__username"),
    ("inquiry_reason", "inquiry_reason"),
    ("desired_outcome", "desired_outcome"),
    ("estimated_value", "estimated_value"),
    ("won_amount", "won_amount"),
    ("created_at", "created_at"),
    ("last_activity_at", "last_activity_at"),
]
CSV_LABELS = {
    "stage": dict(Stage.choices),
    "temperature": dict(Temperature.choices),
    "source": dict(Source.choices),
}


def lead_csv_lines(leads):
    """The header and one line per lead, read from the database in chunks (a server-side cursor
    on PostgreSQL), so exporting a million leads holds a chunk in memory, not the list."""
    names = [name for name, _ in CSV_COLUMNS]
    rows = leads.values_list(*(path for _, path in CSV_COLUMNS)).iterator(chunk_size=2000)
    readable = (
        [CSV_LABELS.get(name, {}).get(value, value) for name, value in zip(names, row, strict=True)] for row in rows
    )
    return csv_lines(names, readable)


@role_required(Role.MARKETING, Role.MANAGER)
def lead_export(request):
    """The list as CSV, with the same search, filters and sort as the page that links here."""
    form, _ = _list_view(request, request.GET)
    if form.errors:
        return HttpResponse(
            error_text(ValidationError(form.errors)), status=400, content_type="text/plain; charset=utf-8"
        )
    response = StreamingHttpResponse(
        lead_csv_lines(_listed_leads(request, form)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
    return response


# --- Editing a lead and its contact -------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def lead_edit(request, pk):
    """Correct the lead and its contact. A saved edit goes back to the lead page (so a reload
    cannot post it again); a refused one comes back with each reason beside its field (400)."""
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    if not may_edit(request.user, lead):
        raise PermissionDenied("Claim this lead, or have it handed to you, before editing it.")
    form = LeadEditForm(request.POST if request.method == "POST" else None, lead=lead)
    if request.method == "POST" and form.is_valid():
        try:
            promoted = services.edit_lead(
                lead, contact_changes=form.contact_changes(), lead_changes=form.lead_changes(), by=request.user
            )
        except ValidationError as exc:
            form.add_refusal(exc)
        else:
            saved = "Saved." if form.has_changed() else "Nothing to save: no field changed."
            if promoted:
                saved += " It now meets the rules of engagement: the lead is sales-ready."
            messages.success(request, saved)
            return redirect("lead-detail", pk=lead.pk)
    form.focus_first_error()
    return render(request, "leads/lead_edit.html", {"lead": lead, "form": form}, status=400 if form.errors else 200)
