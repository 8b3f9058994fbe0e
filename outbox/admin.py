from django.contrib import admin

from outbox.models import Email


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    """Read-only: what went out, what is waiting, and why a message failed."""

    list_display = ["subject", "to_address", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["sent_at"]
    search_fields = ["to_address", "key", "subject"]
    readonly_fields = [f.name for f in Email._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
