"""The combined PDFs of printed letter batches, on disk under CRM_LETTERS_DIR, written again
without the letters of erased contacts.

Files are not transactional, so the erasure writes each new PDF beside the old one inside its
transaction (a disk error rolls the erasure back) and moves it into place once the transaction
commits (os.replace: a reader sees the old file or the new, never half of one). A copy the mail
house already downloaded is beyond our reach; docs/adr/0010 says so.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from django.conf import settings

from followups.letters.pdf import LetterPdf
from followups.letters.services import content_of
from followups.models import Letter, LetterBatch, LetterStatus

logger = logging.getLogger(__name__)


def prepare_rewrites(batch_ids) -> list[tuple[Path, Path]]:
    """Write each batch's PDF without erased contacts' letters to a temporary file; returns
    (temporary, final) pairs for `publish`. Reads the caller's transaction, so the contact
    being erased is already left out."""
    pairs = []
    for batch in LetterBatch.objects.filter(pk__in=list(batch_ids)).exclude(pdf="").order_by("pk"):
        final = Path(settings.CRM_LETTERS_DIR) / batch.pdf
        if not final.exists():
            continue
        partial = final.with_name(f".{final.name}.erasure-{secrets.token_hex(6)}")
        letters = (
            Letter.objects.filter(batch=batch, status=LetterStatus.SENT, lead__contact__erased_at__isnull=True)
            .select_related("lead__contact__company")
            .order_by("lead_id")
        )
        try:
            with open(partial, "wb") as out:
                pdf = LetterPdf(out)
                for letter in letters.iterator(chunk_size=500):
                    pdf.add(content_of(letter))
                pdf.close()
        except BaseException:
            discard([(partial, final)])
            raise
        pairs.append((partial, final))
    return pairs


def publish(pairs: list[tuple[Path, Path]]) -> None:
    """Move the new PDFs into place (after the erasure committed)."""
    for partial, final in pairs:
        try:
            os.replace(partial, final)
        except OSError:
            logger.exception("Could not replace %s after an erasure; the old PDF still names the contact", final)


def discard(pairs: list[tuple[Path, Path]]) -> None:
    for partial, _final in pairs:
        partial.unlink(missing_ok=True)
