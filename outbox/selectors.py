"""Reads of the outbox for the apps whose e-mails it sends."""

from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from outbox.models import Email
from outbox.services import GAVE_UP


def email_sent(key_prefix: str) -> Exists:
    """An expression for a queryset whose rows each have one e-mail keyed `<key_prefix><row id>`
    (a letter's is `letter:<id>`): true once that e-mail went out, i.e. the mail server took it.
    A row whose e-mail is still waiting, was given up, or was never written is false. One
    lookup of the unique key per row."""
    return Exists(Email.objects.filter(key=_key(key_prefix), sent_at__isnull=False))


def email_refused(key_prefix: str) -> Subquery:
    """Like `email_sent`: the mail server's reason when it refused that e-mail for good (a bad
    address: the outbox gave up on it), else null."""
    refused = Email.objects.filter(key=_key(key_prefix), sent_at__isnull=True, attempts__gte=GAVE_UP)
    return Subquery(refused.values("last_error")[:1])


def subject_of(key_field: str) -> Subquery:
    """The subject of the e-mail whose key is in the row's `key_field` (as it went: merged)."""
    return Subquery(Email.objects.filter(key=OuterRef(key_field)).values("subject")[:1])


def _key(key_prefix: str) -> Concat:
    return Concat(Value(key_prefix), Cast(OuterRef("pk"), CharField()))
