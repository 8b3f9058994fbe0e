"""Unclosed-prospect letters: templates, batches (dry run and send), and responses.

A send is a job of kind "letters" (followups/letters/jobs.py) over the selection as it stood
when the batch was made. Each chunk writes one Letter row per lead (unique per batch), with its
own response code and its text as sent, and queues the e-mail of those with an address and
consent in the same transaction; the batch ends with one combined PDF for the mail house.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from config.errors import Conflict
from crm.models import Contact
from followups.letters import merge
from followups.letters.pdf import LetterContent
from followups.letters.selectors import (
    CODE_ALPHABET,
    CODE_LENGTH,
    eligible_leads,
    first_reader,
    running_batch,
)
from followups.models import Letter, LetterBatch, LetterTemplate
from jobs.services import start_job
from leads.models import Lead
from tracking import links

MAX_UNCLOSED_DAYS = 3650


@dataclass(frozen=True)
class DryRun:
    total: int
    emailed: int  # of those, also by e-mail (an address and consent)
    without_address: int  # printed with no postal address: the mail house cannot post those
    preview: dict | None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- Templates ----------------------------------------------------------------------------------


def save_template(*, template: LetterTemplate | None = None, by=None, **fields) -> LetterTemplate:
    """Create or change a template; unknown merge fields, a name taken or bad numbers are
    refused with field errors and nothing is saved."""
    template = template or LetterTemplate(created_by=by)
    for name, value in fields.items():
        setattr(template, name, value)
    errors = {}
    template.name = (template.name or "").strip()
    if not template.name:
        errors["name"] = ["Give the letter a name."]
    elif LetterTemplate.objects.filter(name__iexact=template.name).exclude(pk=template.pk).exists():
        errors["name"] = [f"A letter named {template.name!r} already exists."]
    if not (template.subject or "").strip():
        errors["subject"] = ["Give the letter a subject."]
    if not (template.body or "").strip():
        errors["body"] = ["Write the letter."]
    try:
        merge.check(subject=template.subject or "", body=template.body or "", has_offer=template.offer_id is not None)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    template.save()
    return template


# --- Rendering ----------------------------------------------------------------------------------


def render_for(lead, *, template: LetterTemplate, code: str, at: datetime) -> tuple[str, str]:
    """(subject, text) of `template` for `lead`, merge fields filled in."""
    values = merge.values_for(
        lead=lead, code=code, offer=template.offer, company_name=settings.CRM_COMPANY_NAME, today=at.date()
    )
    return merge.merge(template.subject, values), merge.merge(template.body, values)


def address_of(contact) -> list[str]:
    lines = [contact.full_name or contact.email or contact.phone]
    if contact.company_id:
        lines.append(contact.company.name)
    lines += [line.strip() for line in (contact.mailing_address or "").splitlines() if line.strip()]
    return lines


def content_of(letter: Letter, printed: links.Printed | None = None) -> LetterContent:
    """What the PDF prints for a letter as it was sent, its addresses tracked (`printed`, read
    here when not given): the QR code and forward form of its own, each address in its text."""
    if printed is None:
        printed = links.printed([letter.pk]).get(letter.pk) or links.Printed()
    return LetterContent(
        sender=settings.CRM_COMPANY_NAME,
        date=timezone.localtime(letter.sent_at).date().isoformat(),
        address=address_of(letter.lead.contact),
        subject=letter.subject,
        body=printed.text(letter.text),
        code=merge.display_code(letter.code),
        qr_url=printed.qr_url,
        forward_url=printed.forward_url,
    )


def preview(template: LetterTemplate, lead=None) -> dict:
    """One letter as it would go out (to `lead`, or a made-up reader when there is none)."""
    now = timezone.now()
    if lead is None:
        lead = Lead(contact=Contact(first_name="Alex", last_name="Sample"))
    subject, text = render_for(lead, template=template, code="K7Q4MZPX", at=now)
    return {
        "lead": lead.pk,
        "reader": str(lead.contact),
        "subject": subject,
        "text": text,
        "html": merge.as_html(text),
    }


# --- Batches ------------------------------------------------------------------------------------


def _clean_days(unclosed_days, template: LetterTemplate) -> int:
    if unclosed_days in (None, ""):
        return template.unclosed_days
    if isinstance(unclosed_days, bool) or not isinstance(unclosed_days, int):
        raise ValidationError({"unclosed_days": ["Give a whole number of days."]})
    if not 0 <= unclosed_days <= MAX_UNCLOSED_DAYS:
        raise ValidationError({"unclosed_days": [f"Give from 0 to {MAX_UNCLOSED_DAYS} days."]})
    return unclosed_days


def _template(template_id) -> LetterTemplate:
    template = None
    if isinstance(template_id, int) and not isinstance(template_id, bool) and 0 < template_id < 2**62:
        template = LetterTemplate.objects.select_related("offer", "campaign").filter(pk=template_id).first()
    if template is None:
        raise ValidationError({"template": [f"No letter template has the id {template_id!r}."]})
    if not template.active:
        raise ValidationError({"template": [f"The letter {template.name!r} is archived."]})
    try:
        merge.check(subject=template.subject, body=template.body, has_offer=template.offer_id is not None)
    except ValidationError as exc:
        raise ValidationError({"template": sum(exc.message_dict.values(), [])}) from exc
    return template


def dry_run(*, template_id, unclosed_days=None) -> DryRun:
    """How many leads a batch would reach now, and one of their letters rendered."""
    template = _template(template_id)
    days = _clean_days(unclosed_days, template)
    leads = eligible_leads(template, unclosed_days=days, at=timezone.now())
    first = first_reader(template, unclosed_days=days)
    return DryRun(
        total=leads.count(),
        emailed=leads.filter(contact__consent=True).exclude(contact__email="").count(),
        without_address=leads.filter(contact__mailing_address="").count(),
        preview=preview(template, first) if first else None,
    )


def start_batch(*, template_id, unclosed_days=None, by=None) -> LetterBatch:
    """Freeze the selection and start the send in the background. Refused, before anything is
    written, for an unknown template, an empty selection, or while another batch of the same
    template is still going (it would reach the same leads)."""
    template = _template(template_id)
    days = _clean_days(unclosed_days, template)
    with transaction.atomic():
        LetterTemplate.objects.select_for_update().get(pk=template.pk)  # one batch of a template at a time
        if running_batch(template) is not None:
            raise Conflict(f"A batch of {template.name!r} is still being sent; wait for it to finish.")
        now = timezone.now()
        leads = eligible_leads(template, unclosed_days=days, at=now)
        span = leads.aggregate(first=Min("pk"), last=Max("pk"), total=Count("pk"))
        if not span["total"]:
            raise ValidationError({"selection": [f"No lead has been unclosed for {days} days without this letter."]})
        batch = LetterBatch.objects.create(template=template, unclosed_days=days, selected_at=now, created_by=by)
        batch.job = start_job(
            kind="letters",
            params={"batch": batch.pk},
            total=span["total"],
            id_range=(span["first"], span["last"]),
            slices=settings.CRM_LETTER_SLICES,
            by=by,
        )
        batch.save(update_fields=["job"])
    return batch


# --- Responses ----------------------------------------------------------------------------------


def letter_answered(letter: Letter, *, at: datetime | None = None) -> None:
    """A call, form or capture carried this letter's code (leads.codes.record_response): the
    letter has a response; the first one counts."""
    Letter.objects.filter(pk=letter.pk, responded_at__isnull=True).update(responded_at=at or timezone.now())
