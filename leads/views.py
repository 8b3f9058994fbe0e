"""Browser pages for leads: the list (search, filters, sort, CSV export, bulk hand-over), the lead
page, editing a lead and its contact, logging a call."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import error_text
from config.spreadsheet import csv_lines
from crm import services as contacts
from crm.access import role_required, staff_required
from crm.roles import Role, has_role
from crm.submissions import submit_once
from followups.views import lead_followups_context
from leads import sales, services
from leads.filters import DEFAULT_SORT, filter_lead_list
from leads.forms import BulkHandoverForm, LeadEditForm, LeadSearchForm, LogInteractionForm
from leads.kinds import Source, Stage
from leads.models import InteractionKind, Temperature
from leads.redemption_views import lead_offers_context
from leads.sales_views import sales_panel_context
from leads.selectors import lead_timeline, sees_every_lead, visible_leads
from scoring.engine import RuleBook
from scoring.services import explain, published_rule_book

LIST_PAGE = 25


def _salespeople():
    return get_user_model().objects.filter(groups__name=Role.SALES, is_active=True).order_by("username")


def _list_view(request, data: QueryDict) -> tuple[LeadSearchForm, QueryDict]:
    """The list's form read from `data` and checked, and the query string of its valid values:
    what the sort headers, the pages, the export and the hand-over carry on."""
    people = list(_salespeople()) if sees_every_lead(request.user) else []
    form = LeadSearchForm(data, salespeople=people)
    form.is_valid()
    form.salespeople = people
    query = QueryDict(mutable=True)
    for name, value in form.criteria().items():
        if value and not (name == "sort" and value == DEFAULT_SORT):
            query[name] = value
    return form, query


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
    context = {
        "form": form,
        "page": page,
        "list_query": query,
        "sort": form.criteria()["sort"],
        "headers": form.headers(),
        "can_export": has_role(request.user, Role.MARKETING, Role.MANAGER),
        "can_hand_over": is_manager,
        "handover_form": BulkHandoverForm(salespeople=form.salespeople) if is_manager else None,
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


# --- Bulk hand-over -----------------------------------------------------------------------------


@role_required(Role.MANAGER)
@require_POST
def lead_bulk_handover(request):
    """The leads ticked on the list go to one salesperson; the list comes back as it was, with
    how many were handed over and, for each refused, why."""
    _, query = _list_view(request, QueryDict(request.POST.get("list_query", "")))
    back = reverse("lead-list") + (f"?{query.urlencode()}" if query else "")
    form = BulkHandoverForm(request.POST, salespeople=_salespeople())
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect(back)
    owner = get_user_model().objects.get(pk=form.cleaned_data["owner"])
    handed, refused = sales.handover_leads(
        lead_ids=form.cleaned_data["lead"], owner=owner, by=request.user, within=visible_leads(request.user)
    )
    if handed:
        leads = f"{len(handed)} lead{'s' if len(handed) != 1 else ''}"
        messages.success(request, f"Handed {leads} to {owner.username}, who has been notified.")
    for name, why in refused:
        messages.error(request, f"Not handed over: {name}: {why}")
    return redirect(back)


# --- Editing a lead and its contact -------------------------------------------------------------


def may_edit(user, lead) -> bool:
    """Who may correct a lead's facts (SPEC: a salesperson changes only the leads they own or
    may claim, as the API's PATCH allows): CSR, Marketing and Managers any lead they see; a
    salesperson their own leads and the unowned sales-ready ones of the pool."""
    if lead.contact.erased_at is not None:
        return False  # erased on request: nothing is typed back in
    claimable = lead.owner_id is None and lead.stage == Stage.SALES_READY
    return sales.works_on(lead, user) or (claimable and has_role(user, Role.SALES))


def save_lead_edit(lead, form: LeadEditForm, *, by) -> bool:
    """The contact's and the lead's changes together or not at all, through the services the
    rest of the product uses: crm.services.update_contact, and leads.services.update_lead (what
    the API's PATCH calls), which promotes an inquiry that now meets the rules of engagement.
    Returns whether the lead became sales-ready."""
    was = lead.stage
    with transaction.atomic():
        contact_changes = form.contact_changes()
        if contact_changes:
            lead.contact = contacts.update_contact(contact_id=lead.contact_id, **contact_changes)
        services.update_lead(lead, by=by, **form.lead_changes())
    return lead.stage == Stage.SALES_READY and was != Stage.SALES_READY


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
            promoted = save_lead_edit(lead, form, by=request.user)
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


def _readable_answers(answers, book: RuleBook) -> list[dict[str, str]]:
    """Stored answer keys as the question and option wording the CSR saw on the form."""
    readable = []
    for pair in answers or []:
        question = book.question(pair.get("question", ""))
        option = question.option(pair.get("answer", "")) if question else None
        readable.append(
            {
                "question": question.text if question else pair.get("question", ""),
                "answer": option.label if option else pair.get("answer", ""),
            }
        )
    return readable


def _lead_page_context(request, lead, form=None, logged=None):
    book = published_rule_book()
    score = explain(lead)
    timeline = lead_timeline(lead)
    for entry in timeline:
        if entry["type"] == "interaction":
            entry["answers"] = _readable_answers(entry["item"].answers, book)
    return {
        "lead": lead,
        "score": score,
        "temperature_label": dict(Temperature.choices).get(score.temperature, score.temperature),
        "timeline": timeline,
        "form": form or LogInteractionForm(book=book),
        "logged": logged,
        "can_edit": may_edit(request.user, lead),
        **sales_panel_context(request.user, lead),
        **lead_followups_context(request.user, lead),
        **lead_offers_context(lead),
    }


@staff_required
def lead_detail(request, pk):
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    return render(request, "leads/lead_detail.html", _lead_page_context(request, lead))


def _log_once(request, lead, form) -> dict:
    """Log the form's interaction, once however many times the form arrives."""
    data = form.cleaned_data
    minutes = data.get("duration_minutes")

    def log() -> int:
        result = services.log_interaction(
            lead_id=lead.pk,
            kind=data["kind"],
            author=request.user,
            note=data["note"],
            duration_seconds=minutes * 60 if minutes is not None else None,
            answers=form.answers(),
            offer_code=data["offer_code"],
        )
        return result.interaction.pk

    _, first = submit_once(request, log)
    return {"kind": dict(InteractionKind.choices)[data["kind"]], "repeat": not first}


def logged_message(logged: dict) -> str:
    if logged["repeat"]:
        return f"{logged['kind']} was already logged: the form arrived twice and counts once."
    if logged["old_score"] == logged["new_score"]:
        return f"{logged['kind']} logged. Score stays at {logged['new_score']}."
    return f"{logged['kind']} logged. Score {logged['old_score']} → {logged['new_score']}."


@staff_required
@require_POST
def log_interaction(request, pk):
    """Log an interaction from the lead page.

    htmx gets the refreshed score, form and timeline panel (with field errors, as a 200 because
    htmx swaps only 2xx); a plain form post is redirected back to the lead page on success, so
    reloading the page cannot log the call twice, and gets the page with errors (400) otherwise.
    """
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    form = LogInteractionForm(request.POST, book=published_rule_book())
    if form.is_valid():
        old_score = lead.score
        try:
            logged = _log_once(request, lead, form)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            lead.refresh_from_db()
            logged.update(old_score=old_score, new_score=lead.score)
            logged["message"] = logged_message(logged)
            if not request.htmx:
                messages.success(request, logged_message(logged))
                return redirect("lead-detail", pk=lead.pk)
            response = render(request, "leads/_lead_activity.html", _lead_page_context(request, lead, logged=logged))
            response["HX-Trigger"] = "lead-changed"  # the console's results re-read the stage and score
            return response
    form.focus_first_error()
    context = _lead_page_context(request, lead, form)
    if request.htmx:
        return render(request, "leads/_lead_activity.html", context)
    return render(request, "leads/lead_detail.html", context, status=400)
