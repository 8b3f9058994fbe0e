"""The suppression list: the normalized e-mails and phones of people who were erased, kept as
keyed hashes (HMAC-SHA256 with a key derived from SECRET_KEY), never in clear. An import checks
each row against it; nothing can turn a digest back into the address.

If SECRET_KEY changes, digests made before no longer match: set CRM_SUPPRESSION_KEY to keep
them (it is used instead of SECRET_KEY when set)."""

import functools
import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction

from crm.models import Suppression


def _key() -> bytes:
    return _derived(getattr(settings, "CRM_SUPPRESSION_KEY", "") or settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _derived(secret: str) -> bytes:
    """Derived once per secret, not once per row: an import checks a million."""
    return hashlib.sha256(f"suppression:{secret}".encode()).digest()


def digest(value: str) -> str:
    """The keyed hash of an already-normalized e-mail or E.164 phone."""
    return hmac.new(_key(), value.encode(), hashlib.sha256).hexdigest()


def suppress(*, email: str = "", phone: str = "") -> None:
    """Add a contact's normalized e-mail and phone (either may be blank) to the list, once."""
    for kind, value in ((Suppression.Kind.EMAIL, email), (Suppression.Kind.PHONE, phone)):
        if not value:
            continue
        try:
            with transaction.atomic():
                Suppression.objects.create(kind=kind, digest=digest(value))
        except IntegrityError:
            pass  # already suppressed


def suppressed(*, emails=(), phones=()) -> set[tuple[str, str]]:
    """Which of these normalized values are suppressed, as (kind, value) pairs: one query for a
    whole chunk of import rows."""
    wanted = {(Suppression.Kind.EMAIL, v, digest(v)) for v in emails if v}
    wanted |= {(Suppression.Kind.PHONE, v, digest(v)) for v in phones if v}
    if not wanted:
        return set()
    found = set(Suppression.objects.filter(digest__in=[d for _, _, d in wanted]).values_list("kind", "digest"))
    return {(kind, value) for kind, value, d in wanted if (kind, d) in found}
