"""Reads of notifications."""

from django.db.models import QuerySet

from notifications.models import Notification


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def latest_for(user, *, limit: int = 100) -> QuerySet[Notification]:
    """A user's newest notifications, with the lead each is about."""
    return Notification.objects.filter(user=user).select_related("lead__contact")[:limit]
