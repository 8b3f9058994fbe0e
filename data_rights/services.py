"""Erasing a contact on request (the right to be forgotten): the one function that does it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from config.errors import Conflict
from crm.models import Contact, Erasure
from crm.suppression import suppress
from data_rights import letters
from data_rights.registry import COVERED
from data_rights.selectors import scope_for
from leads.models import Lead
from tracking import fold


def erase_contact(*, contact_id: int, by) -> Erasure:
    """Remove the contact's personal data from every row that holds it (data_rights.registry
    lists them; erasers.py says what each model loses), keep every figure, cancel what has not
    gone out yet (open follow-ups, unprinted letters, unsent e-mails), put their normalized
    e-mail and phone on the suppression list (keyed hashes) so a list import skips them, and
    write the audit row (who, when, how many rows of each model), all in one transaction.

    The contact and its leads are row-locked first, so nothing is logged on them meanwhile.
    Raises Contact.DoesNotExist for an unknown id and Conflict (409) when the contact was already
    erased: erasing twice changes nothing. Printed letter batches get their PDF on disk written
    again without the contact once the transaction commits."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact_id)
        if contact.erased_at is not None:
            raise Conflict(f"This contact was already erased on {timezone.localtime(contact.erased_at):%Y-%m-%d}.")
        # A fold batch running now finishes first, and the next waits for us: no interaction, visit
        # or visitor of theirs is written between our snapshot and its deletion. The cursor comes
        # before the leads: the fold locks no lead, but its commit's foreign-key checks share-lock
        # the leads it wrote for, and would wait for ours while we waited for the cursor.
        fold.hold_cursor()
        list(Lead.objects.select_for_update().filter(contact=contact).order_by("pk").values_list("pk", flat=True))
        scope = scope_for(contact, by=by)
        fold.count_before_erasure(scope.pks.get("tracking.TrackedLink", []))  # their hits go, their counts stay
        suppress(email=contact.email, phone=contact.phone)
        counts = {}
        for label, coverage in COVERED.items():
            touched = coverage.erase(scope)
            if touched:
                counts[label] = touched
        erasure = Erasure.objects.create(contact=contact, erased_by=by, erased_at=scope.now, counts=counts)
        rewrites = letters.prepare_rewrites(scope.pdf_batches)
        transaction.on_commit(lambda: letters.publish(rewrites))
    return erasure
