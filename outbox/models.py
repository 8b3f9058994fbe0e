"""E-mails waiting to go out, and the ones that went: the durable record that makes every
e-mail the product sends (the weekly briefing, letters by e-mail) go out exactly once, even
when the broker or the mail server is down when it is written."""

from django.db import models
from django.db.models import Q


class Email(models.Model):
    """One message to one address. `key` says what it is for (briefing:2026-W49:user:5), so
    writing the same e-mail twice stores it once."""

    key = models.CharField(max_length=200, unique=True)
    to_address = models.CharField(max_length=254)
    reply_to = models.CharField(
        max_length=254, blank=True, help_text="Where a reply goes (the writer of a personal e-mail)."
    )
    unsubscribe_url = models.CharField(
        max_length=300, blank=True, help_text="A marketing e-mail's one-click unsubscribe address (List-Unsubscribe)."
    )
    subject = models.CharField(max_length=250)
    text = models.TextField()
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="A sender took it (and is sending it).")
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(sent_at__isnull=True), name="email_pending_idx"),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to_address}"
