"""Marketing's letter pages: templates (compose with a live preview), the dry run, sending,
and each batch's progress and report with the PDF for the mail house. Thin: the work is in
followups.letters.services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from campaigns.models import Offer
from config.errors import Conflict, error_text
from config.ids import parse_id, parse_int
from crm.access import role_required
from crm.roles import Role
from followups.letters import downloads, merge, selectors, services
from followups.models import Letter, LetterBatch, LetterTemplate
from jobs.selectors import job_context

marketing_only = role_required(Role.MARKETING, Role.MANAGER)
LETTERS_SHOWN = 200  # on the batch page; the API lists them all


class TemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["name", "subject", "body", "offer", "campaign", "unclosed_days", "resend_after_days", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14, "spellcheck": "true"})}
        help_texts = {"body": "Merge fields such as {{ first_name }} are filled in for each lead (the list is below)."}

    def validate_unique(self):
        pass  # the service checks the name in any case and reports it on the field


@marketing_only
def letters_home(request):
    return render(
        request,
        "followups/letters.html",
        {
            "templates": LetterTemplate.objects.select_related("offer", "campaign"),
            "batches": LetterBatch.objects.select_related("template", "job")[:50],
        },
    )


@marketing_only
def template_edit(request, pk=None):
    template = get_object_or_404(LetterTemplate, pk=pk) if pk else None
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_template(template=template, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Letter “{saved.name}” saved.")
            return redirect("letter-template-edit", pk=saved.pk)
    preview = services.preview(template, selectors.first_reader(template)) if template else None
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "template": template, "preview": preview, "fields": merge.FIELDS}
    return render(request, "followups/letter_form.html", context, status=status)


@marketing_only
@require_POST
def live_preview(request):
    """The letter as typed (not yet saved), for the compose page's preview pane."""
    subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
    saved = LetterTemplate.objects.filter(pk=parse_id(request.POST.get("template_id", "")) or 0).first()
    draft = LetterTemplate(subject=subject, body=body, unclosed_days=30, resend_after_days=90)
    if saved is not None:
        draft.unclosed_days, draft.resend_after_days, draft.campaign = (
            saved.unclosed_days,
            saved.resend_after_days,
            saved.campaign,
        )
        draft.pk = saved.pk  # its own letters count for the resend window
    if (offer_id := parse_id(request.POST.get("offer", ""))) is not None:
        draft.offer = Offer.objects.filter(pk=offer_id).first()
    errors = []
    try:
        merge.check(subject=subject, body=body, has_offer=draft.offer is not None)
    except ValidationError as exc:
        errors = sum(exc.message_dict.values(), [])
    first = selectors.first_reader(draft) if saved is not None else None
    return render(
        request, "followups/_letter_preview.html", {"preview": services.preview(draft, first), "errors": errors}
    )


@marketing_only
@require_POST
def dry_run(request, pk):
    template = get_object_or_404(LetterTemplate, pk=pk)
    try:
        result = services.dry_run(template_id=template.pk, unclosed_days=_days(request))
    except ValidationError as exc:
        return render(request, "followups/_dry_run.html", {"errors": sum(exc.message_dict.values(), [])})
    return render(request, "followups/_dry_run.html", {"result": result, "template": template})


def _days(request):
    """The days typed, as a number for the service to check (text it cannot read is refused there)."""
    raw = request.POST.get("unclosed_days", "").strip()
    return None if raw == "" else (number if (number := parse_int(raw)) is not None else raw)


@marketing_only
@require_POST
def send(request, pk):
    template = get_object_or_404(LetterTemplate, pk=pk)
    try:
        batch = services.start_batch(template_id=template.pk, unclosed_days=_days(request), by=request.user)
    except ValidationError as exc:
        messages.error(request, "Not sent: " + error_text(exc))
        return redirect("letter-template-edit", pk=template.pk)
    except Conflict as exc:
        messages.error(request, exc.detail)
        return redirect("letter-template-edit", pk=template.pk)
    messages.success(request, f"Sending {batch.job.total} letters: watch them go below.")
    return redirect("letter-batch", pk=batch.pk)


def _batch_context(batch: LetterBatch) -> dict:
    """The report, the progress and the letters written so far: the page, and each poll of its
    report while the batch runs, which swaps all three, so the poll that sees the job done
    also brings the last letters."""
    job = batch.job
    letters = selectors.with_emailed(batch.letters.select_related("lead__contact")).order_by("lead_id")
    return {
        "batch": batch,
        "report": selectors.batch_report(batch),
        "letters": letters[:LETTERS_SHOWN],
        "letters_shown": LETTERS_SHOWN,
        "running": bool(job and job.is_running),
        "job_context": job_context(job, label="Letters") if job else None,
    }


@marketing_only
def batch_detail(request, pk):
    batch = get_object_or_404(LetterBatch.objects.select_related("template", "job"), pk=pk)
    template = "followups/_batch_report.html" if request.htmx else "followups/batch.html"
    return render(request, template, _batch_context(batch))


@marketing_only
def batch_pdf(request, pk):
    return downloads.batch_pdf(get_object_or_404(LetterBatch, pk=pk))


@marketing_only
def letter_pdf(request, pk):
    return downloads.letter_pdf(get_object_or_404(Letter.objects.select_related("lead__contact__company"), pk=pk))
