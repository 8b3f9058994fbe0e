"""The rows of one contact, found once before anything changes (data_rights.selectors.scope_for),
and the words erasure leaves in their place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

ERASED_FIRST_NAME = "Erased"
ERASED_LAST_NAME = "contact"
ERASED_IN_TEXT = "an erased contact"  # where another record's text named them ("Referred by …")
ERASED_COMPANY = "Erased company"
ERASED_REPR = "(erased)"
CLOSED_REASON = "Contact erased on request"
FOLLOWUP_CANCELLED = "Cancelled: the contact was erased."
NOTIFICATION_TEXT = "About a contact who has since been erased."
EMAIL_SUBJECT = "(erased)"


@dataclass
class Scope:
    """One contact's data: its leads, the leads they referred (other people's, which only name
    them), the words that name them, and (in `pks`) the ids of every covered model's rows as they
    stood before the erasure began, so each step works on the same rows whatever ran before it."""

    contact: object
    lead_ids: list[int]
    referred_lead_ids: list[int]
    identifiers: tuple[str, ...]
    now: datetime
    by: object = None
    pks: dict[str, list[int]] = field(default_factory=dict)
    pdf_batches: set[int] = field(default_factory=set)  # letter batches whose PDF on disk names them

    def rows(self, model) -> QuerySet:
        """The snapshot's rows of `model`."""
        return model._default_manager.filter(pk__in=self.pks.get(model._meta.label, []))

    def naming(self, *fields: str) -> Q:
        """Rows where any of these text fields contains a word that names the contact."""
        condition = Q(pk__in=[])
        for name in fields:
            for text in self.identifiers:
                condition |= Q(**{f"{name}__contains": text})
        return condition


def identifiers_of(contact) -> tuple[str, ...]:
    """What other records' text may call the contact: how `str(contact)` reads (the name, else
    the e-mail, else the phone), and the e-mail and phone themselves. Longest first, so a name is
    replaced before a part of it."""
    words = {contact.full_name, contact.email, contact.phone, str(contact)}
    return tuple(sorted((word for word in words if word and word.strip()), key=len, reverse=True))
