"""Sending a letter batch, as a kind of background job (jobs.kinds).

A chunk is CRM_LETTER_CHUNK leads of the frozen selection (about 2 KB each in memory: the lead,
its contact and the letter's text): one Letter row each with a fresh response code, and the
e-mail of those with an address and consent, written in the chunk's transaction. A letter counts as
e-mailed once the outbox has sent that e-mail (selectors.with_emailed), not when it is written. A lead that
already has its letter in this batch is no longer selected, and the database refuses a second
one anyway (one_letter_per_lead_per_batch), so a chunk worked twice sends nothing twice.
The finish writes the combined PDF for the mail house, streaming the letters from the database.
"""

import os
import threading

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from followups.letters import merge
from followups.letters.pdf import LetterPdf
from followups.letters.selectors import EMAIL_KEY, eligible_leads
from followups.letters.services import content_of, new_code, render_for
from followups.models import Letter, LetterBatch, LetterStatus
from outbox.services import Message, queue_emails
from tracking import links


class LetterBatchJob:
    def begin(self, job):
        return LetterBatch.objects.select_related("template__offer", "template__campaign").get(pk=job.params["batch"])

    def work(self, job, job_slice, batch):
        leads = list(
            eligible_leads(batch.template, unclosed_days=batch.unclosed_days, at=batch.selected_at)
            .filter(pk__gt=job_slice.cursor, pk__lte=job_slice.last_id)
            .select_related("contact__company", "owner")
            .order_by("pk")[: settings.CRM_LETTER_CHUNK]
        )
        if not leads:
            return None
        return leads[-1].pk, write_letters(batch, leads)

    def finish(self, job, batch):
        batch.pdf = write_combined_pdf(batch)
        batch.save(update_fields=["pdf"])
        job.total = job.done = Letter.objects.filter(batch=batch, status=LetterStatus.SENT).count()
        job.save(update_fields=["total", "done"])


def _can_email(contact) -> bool:
    return bool(contact.email) and contact.consent and not contact.do_not_contact


def _letters(batch: LetterBatch, leads: list, at) -> list[Letter]:
    letters = []
    for lead in leads:
        code = new_code()
        subject, text = render_for(lead, template=batch.template, code=code, at=at)
        letters.append(
            Letter(
                batch=batch,
                lead=lead,
                template=batch.template,
                code=code,
                subject=subject,
                text=text,
                sent_at=at,
            )
        )
    return letters


def write_letters(batch: LetterBatch, leads: list) -> int:
    """One letter (and e-mail) for each lead not yet lettered in this batch; returns how many."""
    now = timezone.now()
    for _attempt in range(5):
        letters = _letters(batch, leads, now)
        try:
            with transaction.atomic():
                Letter.objects.bulk_create(letters)
            break
        except IntegrityError:  # a response code drawn twice (about 1 in 10^11), or a lead lettered meanwhile
            lettered = set(Letter.objects.filter(batch=batch, lead__in=leads).values_list("lead_id", flat=True))
            leads = [lead for lead in leads if lead.pk not in lettered]
    else:
        raise RuntimeError("Could not draw unique response codes for a chunk of letters")
    offer = batch.template.offer
    destinations = links.urls_in(batch.template.body)  # the template's own, never a merged value's
    links.letter_links(letters, offer=offer, destinations=destinations)
    emailed = [letter for letter in letters if _can_email(letter.lead.contact)]
    tracked = links.track_emails(
        [
            links.Draft(
                key=f"{EMAIL_KEY}{letter.pk}",
                lead_id=letter.lead_id,
                text=f"{letter.text}\n\nYour response code: {merge.display_code(letter.code)}",
                letter_id=letter.pk,
                offer_id=offer.pk if offer is not None else None,
                destinations=destinations,
            )
            for letter in emailed
        ]
    )
    queue_emails(
        [
            Message(
                key=f"{EMAIL_KEY}{letter.pk}",
                to=letter.lead.contact.email,
                subject=letter.subject,
                text=email.text,
                html=email.html,
                unsubscribe_url=email.unsubscribe_url,
            )
            for letter, email in zip(emailed, tracked, strict=True)
        ]
    )
    return len(letters)


def write_combined_pdf(batch: LetterBatch) -> str:
    """Every letter of the batch, in lead order, in one PDF; returns its name under
    CRM_LETTERS_DIR. Written to a temporary file first, so a reader never sees half of it."""
    folder = settings.CRM_LETTERS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"batch-{batch.pk}.pdf"
    partial = folder / f".{name}.{os.getpid()}.{threading.get_ident()}"  # a writer's own, even in one process
    letters = (
        Letter.objects.filter(batch=batch, status=LetterStatus.SENT)
        .select_related("lead__contact__company")
        .order_by("lead_id")
    )
    with open(partial, "wb") as out:
        pdf = LetterPdf(out)
        for chunk in _chunks(letters.iterator(chunk_size=500), 500):
            addresses = links.printed([letter.pk for letter in chunk])
            for letter in chunk:
                pdf.add(content_of(letter, addresses.get(letter.pk)))
        pdf.close()
    os.replace(partial, folder / name)
    return name


def _chunks(items, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
