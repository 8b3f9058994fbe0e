"""Writing to a lead's contact from the lead page: freely, or starting from a letter template
(its subject and text copied in, merge fields and all), with a preview, then sent through the
outbox and logged on the timeline (followups.letters.emails). Thin: the rules are the service's."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from config.errors import Conflict
from config.ids import parse_id
from crm.access import staff_required
from crm.submissions import submit_once
from followups.letters import emails
from followups.models import LetterTemplate
from leads.selectors import visible_leads


class EmailForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=LetterTemplate.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="— none: I write it myself —",
        label="Start from a letter",
        help_text="A letter template is marketing: it goes only to a contact who agreed to marketing e-mail.",
    )
    subject = forms.CharField(max_length=emails.SUBJECT_MAX, label="Subject")
    text = forms.CharField(
        max_length=emails.TEXT_MAX,
        label="Your e-mail",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
        help_text="Plain text. Merge fields such as {{ first_name }} are filled in for this contact (listed below).",
    )

    def add_refusal(self, exc: ValidationError) -> None:
        for field, errors in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)


def _start(request) -> tuple[EmailForm, list[str]]:
    """A new e-mail: blank, or a letter template's subject and text when one was chosen, without
    the lines that print the letter's response code (returned, for the page to say so)."""
    template = None
    if request.GET.get("template"):
        template = EmailForm.base_fields["template"].queryset.filter(pk=parse_id(request.GET["template"])).first()
    if template is None:
        return EmailForm(), []
    subject, text, left_out = emails.from_letter(template)
    return EmailForm(initial={"template": template.pk, "subject": subject, "text": text}), left_out


def _context(lead, form, **more) -> dict:
    template = form["template"].value() if form.is_bound else (form.initial.get("template"))
    marketing = bool(template)
    return {
        "lead": lead,
        "form": form,
        "cannot": emails.why_not(lead, marketing=False),
        "no_consent": emails.why_not(lead, marketing=True) if marketing else "",
        "fields": emails.FIELDS,
        **more,
    }


@staff_required
@require_http_methods(["GET", "POST"])
def write(request, pk):
    """GET: the form (?template=id starts from a letter). POST with `preview`: the e-mail as it
    will read, nothing written. POST with `send`: sent once however often the form arrives, then
    back to the lead page, where the timeline shows it."""
    lead = get_object_or_404(visible_leads(request.user).select_related("contact__company", "owner", "offer"), pk=pk)
    if request.method == "GET":
        form, left_out = _start(request)
        return render(request, "desk/lead_email.html", _context(lead, form, left_out=left_out))
    form = EmailForm(request.POST)
    if not form.is_valid():
        return render(request, "desk/lead_email.html", _context(lead, form), status=400)
    data = form.cleaned_data
    template = data["template"]
    try:
        if "send" not in request.POST:
            shown = emails.preview(lead, subject=data["subject"], text=data["text"], template=template)
            return render(request, "desk/lead_email.html", _context(lead, form, preview=shown))
        _, first = submit_once(
            request,
            lambda: emails.email_lead(
                lead_id=lead.pk,
                subject=data["subject"],
                text=data["text"],
                template_id=template.pk if template else None,
                by=request.user,
                within=visible_leads(request.user),
            ).interaction.pk,
        )
    except ValidationError as exc:
        form.add_refusal(exc)
        return render(request, "desk/lead_email.html", _context(lead, form), status=400)
    except Conflict as exc:
        return render(request, "desk/lead_email.html", _context(lead, form, refusal=exc.detail), status=409)
    if first:
        messages.success(
            request, f"E-mail to {lead.contact.email} is in the outbox and goes out in a moment; it is on the timeline."
        )
    else:
        messages.info(request, "Already sent: the form arrived twice and the e-mail went once.")
    return redirect("lead-detail", pk=lead.pk)
