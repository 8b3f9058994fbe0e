"""Browser pages for leads: the list with search and filters, the lead page, logging a call."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.access import staff_required
from crm.submissions import submit_once
from followups.views import lead_followups_context
from leads import services
from leads.forms import LeadSearchForm, LogInteractionForm
from leads.models import InteractionKind, Temperature
from leads.redemption_views import lead_offers_context
from leads.sales_views import sales_panel_context
from leads.selectors import lead_timeline, search_leads, visible_leads
from scoring.engine import RuleBook
from scoring.services import explain, published_rule_book


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
