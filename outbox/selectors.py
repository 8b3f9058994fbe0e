"""Reads of the outbox for the apps whose e-mails it sends."""

from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from outbox.models import Email


def email_sent(key_prefix: str) -> Exists:
    """An expression for a queryset whose rows each have one e-mail keyed `<key_prefix><row id>`
    (a letter's is `letter:<id>`): true once that e-mail went out, i.e. the mail server took it.
    A row whose e-mail is still waiting, was given up, or was never written is false. One
    lookup of the unique key per row."""
    key = Concat(Value(key_prefix), Cast(OuterRef("pk"), CharField()))
    return Exists(Email.objects.filter(key=key, sent_at__isnull=False))
