"""Every write to notifications: telling people, and marking what they have read."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from notifications.models import Notification
from outbox.services import Message, queue_emails


def notify(users, *, lead=None, message: str) -> None:
    """Tell each of `users` (once each, however often one is listed) about `lead`: an in-app
    notification and the same by e-mail through the outbox, sent once the caller's transaction
    commits, or by the outbox sweep if the broker or the mail server is down. A rolled-back
    action therefore tells nobody."""
    notify_many([(user, lead, message) for user in {u.pk: u for u in users}.values()])


def notify_many(items: list[tuple]) -> None:
    """Many notifications at once, each (user, lead or None, message): one INSERT for the
    notifications and one for their e-mails, however many there are."""
    rows = Notification.objects.bulk_create(
        [Notification(user=user, lead=lead, message=message[:300]) for user, lead, message in items]
    )
    queue_emails(
        [
            Message(
                key=f"notification:{row.pk}",
                to=row.user.email,
                subject=f"[Lead CRM] {row.message[:80]}",
                text=row.message + (f"\n\nLead: {settings.CRM_BASE_URL}/leads/{row.lead_id}/" if row.lead_id else ""),
            )
            for row in rows
        ]
    )


def mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark `user`'s unread notifications read: those with the given ids, or all of them.
    Another user's ids are ignored. Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
