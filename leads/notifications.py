"""E-mail for in-app notifications, through Django's e-mail backend."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from leads.models import Notification


def email_notifications(notification_ids: list[int]) -> int:
    """Send each notification to its user's address (marked by `emailed_at`, so a retry or a second
    worker does not send it twice); a failed send is released for the task's retry."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "user", "lead"
    ):
        if not notification.user.email:
            continue
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue  # a retry or another worker sent it already
        link = f"\n\nLead: {settings.CRM_SITE_URL}/leads/{notification.lead_id}/" if notification.lead_id else ""
        try:
            send_mail(
                subject=f"[Lead CRM] {notification.message[:80]}",
                message=notification.message + link,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.user.email],
            )
        except Exception:
            # Give the claim back so the task's retry sends it: at least once, not silently never.
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent
