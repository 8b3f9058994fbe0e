from django.contrib import admin

from config.admin import ViewOnlyAdmin
from outbox.models import Email


@admin.register(Email)
class EmailAdmin(ViewOnlyAdmin):
    """Read-only: what went out, what is waiting, and why a message failed."""

    list_display = ["subject", "to_address", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["sent_at"]
    search_fields = ["to_address", "key", "subject"]
    readonly_fields = [f.name for f in Email._meta.fields]
