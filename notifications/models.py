"""In-app notifications: one row per message to one user, also e-mailed through the outbox."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An in-app message to one user (also e-mailed through the outbox, key notification:<id>).

    `lead` is the lead the message is about, if any: a link to open, named by string so that
    this app, which campaigns and follow-ups use too, imports nothing from `leads`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread_idx")]

    def __str__(self):
        return self.message
