"""Queueing and sending e-mail through the outbox.

`queue_emails` writes the rows in the caller's transaction and asks a worker to send it once that
commits. `send_email` claims the row with a conditional UPDATE (only one sender wins), sends it,
and marks it sent; a failure gives the claim back with a later `next_attempt_at` (2, 4 … 60
minutes, then hourly for as long as it takes), except that an address the server refuses for
good (a 5xx reply to it) is given up at once, with the server's reason kept on the row. The
sweep (`send_pending`, every minute from beat) sends whatever a lost task, a dead broker or a
mail server that was down left behind, and takes back claims a killed sender never finished: a
sender killed after the server took the message but before it was marked sent can send it a
second time (docs/adr/0007).
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from config import bulk
from config.text import flatten
from outbox.models import Email

logger = logging.getLogger(__name__)

GAVE_UP = 32_000  # `attempts` of an e-mail the mail server refused for good (a bad address)
CLAIM_TIMEOUT = timedelta(minutes=10)  # a sender that held a claim this long died sending
GIVEN = ("key", "to_address", "reply_to", "unsubscribe_url", "subject", "text", "html")  # what a Message sets


@dataclass(frozen=True)
class Message:
    key: str
    to: str
    subject: str
    text: str
    html: str = ""
    reply_to: str = ""  # where a reply goes: the person who wrote it, for a personal e-mail
    unsubscribe_url: str = ""  # marketing: sent as List-Unsubscribe with one-click (RFC 8058)


def queue_emails(messages: list[Message]) -> list[int]:
    """Store e-mails to send (each once: a key already stored is left as it is) and send them
    after the caller's transaction commits. Returns the ids of the rows waiting to go. A subject
    is made one line (config.text.flatten): one with a line break in it (a name typed with one)
    could never be sent."""
    messages = [m for m in messages if m.to]
    if not messages:
        return []
    _insert(
        [
            (m.key[:200], m.to, m.reply_to, m.unsubscribe_url[:300], flatten(m.subject)[:250], m.text, m.html)
            for m in messages
        ]
    )
    # By key alone, the unsent ones picked here: a query that also asked sent_at IS NULL would be
    # planned over every unsent e-mail (email_pending_idx) when a burst has queued a hundred thousand.
    stored = Email.objects.filter(key__in=[m.key[:200] for m in messages]).values_list("pk", "sent_at")
    ids = [pk for pk, sent_at in stored if sent_at is None]
    if ids:
        transaction.on_commit(lambda: _ask_a_worker(ids))
    return ids


def _insert(rows: list[tuple]) -> None:
    """The rows (GIVEN, in order), every other column at its default (created_at now), a key
    already stored left as it is. Plain values, not model instances (bulk_create prepares every
    field of every one, which cost more than storing a batch of e-mails): config.bulk."""
    others = [field for field in Email._meta.concrete_fields if not field.primary_key and field.attname not in GIVEN]
    now = timezone.now()
    defaults = {
        field.name: field.get_db_prep_save(
            now if getattr(field, "auto_now_add", False) else field.get_default(), connection
        )
        for field in others
    }
    bulk.insert(Email, GIVEN, rows, fixed=defaults, tail="ON CONFLICT DO NOTHING")


def _ask_a_worker(ids: list[int]) -> None:
    from outbox.tasks import send_emails

    try:
        send_emails.delay(ids)
    except Exception:  # the rows stand; the sweep sends them
        logger.exception("Could not queue e-mails %s; the outbox sweep will send them", ids)


def refused_for_good(exc: Exception) -> str:
    """Why the mail server will never take this e-mail, or "" when a later attempt may succeed.

    Only a 5xx reply to every recipient (no such mailbox, a malformed address) is final. A 4xx
    reply to the address (greylisting, a full mailbox, a busy server) says "try later", and so
    does any other failure: a server that is down must not cost us the e-mail. A header with a
    line break in it (a row queued before subjects were made one line) can never be sent."""
    if isinstance(exc, BadHeaderError):
        return f"The e-mail cannot be sent as it is: {exc}"
    if not isinstance(exc, smtplib.SMTPRecipientsRefused) or not exc.recipients:
        return ""
    replies = exc.recipients.items()
    if not all(500 <= code < 600 for _address, (code, _text) in replies):
        return ""
    return "Refused by the mail server: " + "; ".join(
        f"{address}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        for address, (code, text) in replies
    )


def unsubscribe_headers(url: str) -> dict[str, str] | None:
    """The headers Gmail and Yahoo ask of bulk senders since 2024: where to unsubscribe, and that
    a POST there does it in one click (RFC 8058) with no page to confirm."""
    if not url:
        return None
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send_email(email_id: int) -> bool:
    """Send one e-mail unless another sender has it or it went already; True if this call sent it."""
    now = timezone.now()
    claimed = (
        Email.objects.filter(pk=email_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now)
    )
    if not claimed:
        return False
    email = Email.objects.get(pk=email_id)
    message = EmailMultiAlternatives(
        email.subject,
        email.text,
        settings.DEFAULT_FROM_EMAIL,
        [email.to_address],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=unsubscribe_headers(email.unsubscribe_url),
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    try:
        message.send()
    except Exception as exc:
        refused = refused_for_good(exc)
        if refused:  # trying again cannot help
            Email.objects.filter(pk=email_id).update(claimed_at=None, attempts=GAVE_UP, last_error=refused[:500])
            logger.error("E-mail %s given up: %s", email_id, refused)
            return False
        # The mail server is down or busy, or refused for now: try again later, hourly at most.
        attempts = email.attempts + 1
        Email.objects.filter(pk=email_id).update(
            claimed_at=None,
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
            next_attempt_at=now + timedelta(minutes=min(2 ** min(attempts, 6), 60)),
        )
        logger.warning("E-mail %s not sent (attempt %s): %s", email_id, attempts, exc)
        return False
    Email.objects.filter(pk=email_id).update(sent_at=timezone.now(), last_error="")
    return True


def send_pending(*, limit: int = 500) -> int:
    """Send what is due and unsent; returns how many went."""
    now = timezone.now()
    due = (
        Email.objects.filter(sent_at__isnull=True, attempts__lt=GAVE_UP)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(send_email(pk) for pk in list(due))
