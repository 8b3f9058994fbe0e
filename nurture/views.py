"""Marketing's sequence pages: the list, the builder, each sequence with its steps, its trigger's
preview and its report; enrolling by hand from the lead list and the lead page, and taking a lead
out. Thin: every rule is nurture.services' (and nurture.steps'), so the pages refuse what the API
refuses, in the same words."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.models import Offer
from config.errors import Conflict, error_text
from config.ids import parse_id
from crm.access import role_required
from crm.roles import Role, has_role, members
from followups.letters.emails import FIELDS as EMAIL_FIELDS
from followups.models import LetterTemplate
from leads.forms import LeadSearchForm
from leads.kinds import Stage
from leads.selectors import visible_leads
from nurture import forms, selectors, services
from nurture.models import Enrolment, Sequence, SequenceStatus, Trigger
from nurture.steps import CALLERS, CONDITIONS, KINDS, REFERRAL_FIELD, WEEKDAYS

marketing_only = role_required(Role.MARKETING, Role.MANAGER)

KIND_LABELS = {
    "email": "Send an e-mail",
    "letter": "Add to a printed letter batch",
    "call": "Give a call task",
    "wait": "Wait",
    "branch": "Branch on what they did",
}
CALLER_LABELS = {"owner": "The lead's owner", "csr": "The CSR pool"}
MERGE_FIELDS = {
    **EMAIL_FIELDS,
    REFERRAL_FIELD: "the contact's own referral link (the forward form: who fills it in comes in as their referral)",
}


@marketing_only
def sequence_list(request):
    return render(request, "nurture/sequences.html", {"sequences": selectors.sequences_with_counts()})


def _builder(request, sequence, values: dict, errors: dict, *, status: int = 200):
    steps_errors = errors.get("steps", [])
    blank = forms.BLANK_ROWS_EDIT if values["steps"] else forms.BLANK_ROWS_NEW
    context = {
        "sequence": sequence,
        "values": values,
        "errors": errors,
        "all_errors": [message for messages_ in errors.values() for message in messages_],
        "rows": forms.rows(values["steps"], blank=blank, errors=steps_errors),
        "empty_row": forms.row(None, "__i__"),
        "triggers": Trigger.choices,
        "kinds": [(kind, KIND_LABELS[kind]) for kind in KINDS],
        "kind_values": KINDS,
        "conditions": CONDITIONS.items(),
        "callers": [(caller, CALLER_LABELS[caller]) for caller in CALLERS],
        "weekdays": WEEKDAYS,
        "stages": Stage.choices,
        "offers": Offer.objects.order_by("-starts_at", "code"),
        "letter_templates": LetterTemplate.objects.filter(active=True).order_by("name"),
        "merge_fields": MERGE_FIELDS,
    }
    return render(request, "nurture/sequence_form.html", context, status=status)


@marketing_only
@require_http_methods(["GET", "POST"])
def sequence_edit(request, pk=None):
    """The builder: name, trigger and the ordered steps. Saving is save_sequence's; a refusal
    comes back (400) with every reason, each step's beside its row too."""
    sequence = get_object_or_404(Sequence, pk=pk) if pk else None
    if request.method != "POST":
        return _builder(request, sequence, forms.initial(sequence), {})
    values = forms.sequence_fields(request.POST)
    try:
        saved = services.save_sequence(sequence=sequence, by=request.user, **values)
    except ValidationError as exc:
        return _builder(request, sequence, values, exc.message_dict, status=400)
    messages.success(request, f"Sequence “{saved.name}” saved.")
    return redirect("nurture-sequence", pk=saved.pk)


def _detail(request, sequence: Sequence, *, refused: list[str] | None = None, status: int = 200):
    sequence.trigger_words = selectors.trigger_words(sequence)
    context = {
        "sequence": sequence,
        "steps": selectors.step_lines(sequence),
        "preview": selectors.trigger_preview(sequence),
        "report": selectors.report_tables(sequence),
        "refused": refused or [],
    }
    return render(request, "nurture/sequence.html", context, status=status)


@marketing_only
def sequence_detail(request, pk):
    return _detail(request, get_object_or_404(Sequence, pk=pk))


def _set_status(request, pk, status: str, done: str):
    sequence = get_object_or_404(Sequence, pk=pk)
    try:
        services.set_status(sequence.pk, status)
    except ValidationError as exc:
        return _detail(request, sequence, refused=exc.messages, status=400)
    except Conflict as exc:
        return _detail(request, sequence, refused=[exc.detail], status=409)
    messages.success(request, done.format(name=sequence.name))
    return redirect("nurture-sequence", pk=sequence.pk)


@marketing_only
@require_POST
def sequence_start(request, pk):
    return _set_status(request, pk, SequenceStatus.ACTIVE, "“{name}” is running: leads in it go through its steps.")


@marketing_only
@require_POST
def sequence_pause(request, pk):
    return _set_status(request, pk, SequenceStatus.PAUSED, "“{name}” is paused: every lead in it waits where it is.")


# --- Enrolling by hand ------------------------------------------------------------------------------


def _enrolled_message(result: services.Enrolled, sequence_name: str) -> str:
    count = len(result.enrolled)
    message = f"{count} lead{'s' if count != 1 else ''} enrolled in {sequence_name}; {len(result.skipped)} skipped"
    if result.skipped:
        message += f" ({selectors.skipped_in_words(result.skipped)})"
    return message + "."


def _enrolled_one(result: services.Enrolled, sequence_name: str) -> str:
    if result.enrolled:
        return f"Enrolled in {sequence_name}: its first step falls due now."
    return f"Not enrolled in {sequence_name}: {selectors.skipped_in_words(result.skipped).removeprefix('1 ')}."


def _enrol(request, lead_ids: list, *, one: bool = False) -> None:
    """Enrol the leads in the posted sequence and say how it went, as a message."""
    try:
        result = services.enrol(
            sequence_id=request.POST.get("sequence", ""),
            lead_ids=lead_ids,
            by=request.user,
            within=visible_leads(request.user),
        )
    except Sequence.DoesNotExist:
        messages.error(request, "Choose the sequence to add them to.")
    except (Conflict, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        name = Sequence.objects.values_list("name", flat=True).get(pk=parse_id(request.POST["sequence"]))
        say = _enrolled_one if one else _enrolled_message
        (messages.success if result.enrolled else messages.error)(request, say(result, name))


def _list_url(request) -> str:
    """The lead list as it was (its search, filters, sort and page), from the posted query string,
    read through the list's own form so only its known fields come back."""
    salespeople = list(members(Role.SALES).order_by("username"))
    listed = LeadSearchForm(QueryDict(request.POST.get("list_query", "")), salespeople=salespeople)
    listed.is_valid()
    query = listed.query()
    return reverse("lead-list") + (f"?{query.urlencode()}" if query else "")


@marketing_only
@require_POST
def enrol_from_list(request):
    """The leads ticked on the lead list into one sequence; back to the list as it was."""
    lead_ids = request.POST.getlist("lead")
    if not lead_ids:
        messages.error(request, "Tick the leads to add to the sequence.")
    else:
        _enrol(request, lead_ids)
    return redirect(_list_url(request))


def lead_list_control(user) -> dict | None:
    """The lead list's "Add to sequence" control (leads.list_actions): for Marketing and
    Managers, when a sequence is running or paused."""
    if not has_role(user, Role.MARKETING, Role.MANAGER):
        return None
    sequences = selectors.open_sequences()
    if not sequences:
        return None
    return {
        "template": "nurture/_enrol_from_list.html",
        "url": reverse("nurture-enrol-from-list"),
        "sequences": sequences,
    }


@marketing_only
@require_POST
def enrol_lead(request, pk):
    """The lead page's "Add to sequence"."""
    lead = get_object_or_404(visible_leads(request.user), pk=pk)
    _enrol(request, [lead.pk], one=True)
    return redirect("lead-detail", pk=lead.pk)


@marketing_only
@require_POST
def take_out(request, pk):
    """The lead page's "Take out": the enrolment ends (reason: taken out by hand)."""
    enrolment = get_object_or_404(
        Enrolment.objects.filter(lead__in=visible_leads(request.user)).select_related("sequence"), pk=pk
    )
    try:
        services.take_out(enrolment_id=enrolment.pk, by=request.user)
    except Conflict as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Taken out of {enrolment.sequence.name}.")
    return redirect("lead-detail", pk=enrolment.lead_id)
