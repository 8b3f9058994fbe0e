"""Letters nurture sequences add one lead at a time: they gather in one batch per template per
day (in the company's zone), whose combined PDF for the mail house is written again after each
addition, once the addition has committed."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from followups.letters.jobs import write_combined_pdf, write_letters
from followups.models import LetterBatch, LetterTemplate

logger = logging.getLogger(__name__)


def add_to_daily_batch(*, template_id: int, leads: list, at: datetime) -> LetterBatch | None:
    """Write each lead's letter (and its e-mail, to those who agreed) into the template's batch
    of the day; a lead already lettered in it is left alone. Returns the batch."""
    template = LetterTemplate.objects.select_related("offer", "campaign").filter(pk=template_id).first()
    if template is None or not leads:
        return None
    day = timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)
    batch = LetterBatch.objects.filter(template=template, daily=True, selected_at=day).first()
    if batch is None:
        try:
            with transaction.atomic():
                batch = LetterBatch.objects.create(template=template, daily=True, selected_at=day, unclosed_days=0)
        except IntegrityError:  # another worker made it a moment ago
            batch = LetterBatch.objects.get(template=template, daily=True, selected_at=day)
    write_letters(batch, leads)
    transaction.on_commit(lambda: _write_pdf(batch.pk))
    return batch


def _write_pdf(batch_id: int) -> None:
    """One writer at a time per batch: its row is locked first and its letters read after, so
    whichever addition writes last writes every letter committed before it, when two workers, or
    the two lanes of one nurture sweep, add letters to the same batch at once."""
    with transaction.atomic():
        batch = LetterBatch.objects.select_for_update(of=("self",)).select_related("template").get(pk=batch_id)
        try:
            batch.pdf = write_combined_pdf(batch)
        except OSError:  # the letters stand; the next addition writes the PDF again
            logger.exception("Could not write the PDF of letter batch %s", batch_id)
            return
        LetterBatch.objects.filter(pk=batch_id).update(pdf=batch.pdf)
