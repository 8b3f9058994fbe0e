"""One e-mail to a lead's contact, written by a person from the lead page (or the API): freely,
or starting from a letter template, with the letters' merge fields ({{ first_name }}…) filled in
as plain text (followups.letters.merge: no template language, every value escaped in the HTML).

It goes through the outbox (a row keyed lead-email:<interaction id>, written in the same
transaction as the interaction that logs it on the lead's timeline), so it is sent exactly once,
even if the mail server is down when it is written.

Who may be written to: never an erased contact (crm.erased), a contact without an e-mail address,
or one marked do-not-contact. Consent: a letter template is marketing (the unclosed-prospect
letters are, and the batches e-mail only those who agreed), so an e-mail from a template needs the
contact's consent to marketing; an e-mail a person writes themselves to one contact (a reply, a
quote, an answer to their question) is a one-to-one message about their inquiry, not marketing,
and needs none. A name on a bought list who never inquired has no inquiry to answer: any e-mail to
them is marketing and needs their consent.

The contact is locked before the lead, in the order erasure and merging lock them, so an e-mail
never goes to an address being erased or to a record being merged away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.errors import Conflict
from config.ids import parse_id
from config.text import flatten
from crm.erased import refuse_if_erased
from crm.models import Contact
from followups.letters import merge
from followups.models import LetterTemplate
from leads.kinds import EMAIL_SENT_KEY, InteractionKind, Stage
from leads.models import Interaction, Lead
from leads.services import record_interaction
from outbox.models import Email
from outbox.services import Message, queue_emails
from scoring.services import published_rule_book
from tracking import links

KEY = EMAIL_SENT_KEY  # the outbox key: lead-email:<interaction id>
SUBJECT_MAX = 200
SENT_SUBJECT_MAX = Email._meta.get_field("subject").max_length  # with the merge fields filled in
TEXT_MAX = 20_000
# What an e-mail may merge: the letters' fields but the printed letter's own response code.
FIELDS = {name: text for name, text in merge.FIELDS.items() if name != "response_code"}


@dataclass(frozen=True)
class SentEmail:
    interaction: Interaction  # on the lead's timeline
    email_id: int  # the outbox row
    to: str
    subject: str  # as sent, merge fields filled in
    text: str
    marketing: bool  # written from a letter template


def template_for(template_id) -> LetterTemplate:
    """An active letter template to start from; a field error for anything else."""
    pk = parse_id(template_id)
    template = LetterTemplate.objects.select_related("offer").filter(pk=pk, active=True).first() if pk else None
    if template is None:
        raise ValidationError({"template": [f"No active letter template has the id {template_id!r}."]})
    return template


def from_letter(template: LetterTemplate) -> tuple[str, str, list[str]]:
    """A letter template as the start of an e-mail: its subject and text without what prints the
    letter's own response code (an e-mail has none): the lines of the text that carry it are left
    out, and returned so the page can say what was; in the subject, the field alone."""
    kept, left_out = [], []
    for line in template.body.split("\n"):
        (left_out if "response_code" in merge.FIELD.findall(line) else kept).append(line)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return _without_code(template.subject).strip(), text, [line.strip() for line in left_out]


def why_not(lead: Lead, *, marketing: bool) -> str:
    """Why the lead's contact cannot be e-mailed (empty when they can): the lead page says it
    before anyone writes, and the send refuses with the same words (409)."""
    contact = lead.contact
    if contact.erased_at is not None:
        return "This contact's personal data was erased on request: nothing more is sent to them."
    if not contact.email:
        return f"{contact} has no e-mail address: add one with Edit on the lead page first."
    if contact.do_not_contact:
        return f"{contact} asked not to be contacted (do not contact): no e-mail goes to them."
    if lead.stage == Stage.LIST and not contact.consent:
        return (
            f"{contact} is a name from a bought list who has not inquired, and has not agreed to "
            "marketing e-mail: an e-mail to them is marketing, so none goes until they respond or agree."
        )
    if marketing and not contact.consent:
        return (
            f"{contact} has not agreed to marketing e-mail, and a letter template is marketing: "
            "write to them yourself instead (a one-to-one e-mail needs no consent)."
        )
    return ""


def check(*, subject: str, text: str, has_offer: bool) -> tuple[str, str]:
    """The subject (one line) and text as typed, with every problem at once, field by field:
    blank, too long, an unknown merge field or stray braces, an offer field with no offer, the
    printed letter's {{ response_code }} (an e-mail has none)."""
    subject, text = flatten(subject or "").strip(), (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = ["Give the e-mail a subject."]
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = [f"Keep the subject under {SUBJECT_MAX} characters."]
    if not text:
        errors["text"] = ["Write the e-mail."]
    elif len(text) > TEXT_MAX:
        errors["text"] = [f"Keep the e-mail under {TEXT_MAX:,} characters."]
    for name, value in (("subject", subject), ("text", text)):
        if "response_code" in merge.FIELD.findall(value):
            errors.setdefault(name, []).append(
                "{{ response_code }} is a printed letter's own code: an e-mail has none. Take it out."
            )
    try:
        merge.check(subject=_without_code(subject), body=_without_code(text), has_offer=has_offer)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault("text" if field == "body" else field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return subject, text


def _without_code(text: str) -> str:
    return merge.FIELD.sub(lambda field: "" if field.group(1) == "response_code" else field.group(0), text)


def render(lead: Lead, *, subject: str, text: str, offer) -> tuple[str, str]:
    """(subject, text) with the merge fields filled in for `lead`, as plain text."""
    values = merge.values_for(
        lead=lead, code="", offer=offer, company_name=settings.CRM_COMPANY_NAME, today=timezone.localdate()
    )
    return flatten(merge.merge(subject, values)), merge.merge(text, values)


def preview(lead: Lead, *, subject: str, text: str, template: LetterTemplate | None = None) -> dict:
    """The e-mail as `lead`'s contact would get it (checked as the send checks it: 400 with field
    errors), written nowhere: the page's Preview."""
    offer = template.offer if template is not None and template.offer_id else lead.offer
    subject, text = check(subject=subject, text=text, has_offer=offer is not None)
    subject, text = render(lead, subject=subject, text=text, offer=offer)
    return {"subject": subject, "text": text, "html": merge.as_html(text)}


def email_lead(
    *,
    lead_id: int,
    subject: str,
    text: str,
    by,
    template_id=None,
    within: QuerySet[Lead] | None = None,
) -> SentEmail:
    """Write to the lead's contact: check the subject and text (400 with field errors), then in one
    transaction lock the lead, refuse (409) an erased contact, one without an address, one marked
    do-not-contact, and, for an e-mail from a letter template (marketing), one without consent;
    fill the merge fields in; log it on the lead's timeline (an "E-mail sent" interaction by `by`,
    its subject and text as the note: our own message, so it moves neither the activity clock
    nor, under the shipped rules, the score) and queue it in the outbox, keyed by that
    interaction, so it goes out exactly once. `within` limits the leads `by` may write about (a
    lead outside it raises Lead.DoesNotExist, 404)."""
    leads = Lead.objects.all() if within is None else within
    lead_offer = leads.select_related("offer").get(pk=lead_id).offer  # 404 first: nothing said of others' leads
    template = template_for(template_id) if template_id not in (None, "") else None
    offer = template.offer if template is not None and template.offer_id else lead_offer
    subject, text = check(subject=subject, text=text, has_offer=offer is not None)
    unmerged = text
    with transaction.atomic():
        lead = _lock(leads, lead_id)
        refuse_if_erased(lead.contact)
        refusal = why_not(lead, marketing=template is not None)
        if refusal:
            raise Conflict(refusal)
        subject, text = render(lead, subject=subject, text=text, offer=offer)
        if len(subject) > SENT_SUBJECT_MAX:
            why = f"With the merge fields filled in, the subject is {len(subject)} characters: "
            why += f"keep it under {SENT_SUBJECT_MAX}."
            raise ValidationError({"subject": [why]})
        logged = record_interaction(
            lead,
            kind=InteractionKind.EMAIL_SENT,
            book=published_rule_book(),
            author=by,
            note=f"Subject: {subject}\n\n{text}",
            metadata={"template": template.pk if template else None, "marketing": template is not None},
        )
        key = f"{KEY}{logged.interaction.pk}"
        written = links.urls_in(unmerged)  # the writer's addresses, never one a merged value brought
        html = merge.as_html(text)
        if lead.contact.consent:  # opens and clicks are followed only for those who agreed to marketing
            draft = links.Draft(
                key=key, lead_id=lead.pk, text=text, destinations=written, marketing=template is not None
            )
            tracked = links.track_emails([draft])[0]
            text, html, unsubscribe = tracked.text, tracked.html, tracked.unsubscribe_url
        else:
            unsubscribe = ""
        message = Message(
            key=key,
            to=lead.contact.email,
            reply_to=_reply_address(by),
            subject=subject,
            text=text,
            html=html,
            unsubscribe_url=unsubscribe,
        )
        ids = queue_emails([message])
    return SentEmail(logged.interaction, ids[0], lead.contact.email, subject, text, template is not None)


def _lock(leads: QuerySet[Lead], lead_id: int) -> Lead:
    """The lead with its contact, both row-locked: the contact first, as erasure and merging lock
    them, so neither can change the contact between our check and the send. A lead whose contact
    was merged away meanwhile is refused (409): reopen the lead and write again."""
    contact_id = leads.filter(pk=lead_id).values_list("contact_id", flat=True).get()
    contact = Contact.objects.select_for_update(of=("self",)).select_related("company").filter(pk=contact_id).first()
    lead = leads.select_for_update(of=("self",)).select_related(None).select_related("owner").get(pk=lead_id)
    if contact is None or lead.contact_id != contact.pk:
        raise Conflict("This lead's contact was merged with another a moment ago: open the lead again and write.")
    lead.contact = contact
    return lead


def _reply_address(user) -> str:
    """The writer's own address, so the contact's reply reaches the person who wrote (blank when
    they have none that could stand in a header: the e-mail then goes without a Reply-To)."""
    address = (getattr(user, "email", "") or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address
