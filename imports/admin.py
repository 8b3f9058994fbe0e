from django.contrib import admin

from config.admin import ViewOnlyAdmin
from imports.models import BoughtList, ImportRun


@admin.register(BoughtList)
class BoughtListAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "price", "created_by", "created_at"]
    search_fields = ["name", "vendor"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(ImportRun)
class ImportRunAdmin(ViewOnlyAdmin):
    """Read-only: imports move only through imports.services and their job."""

    list_display = ["id", "list_name", "file_name", "phase", "created", "duplicate_rows", "rejected", "created_at"]
    list_filter = ["phase", "mode", "duplicates", "refused"]
    search_fields = ["list_name", "file_name"]
    exclude = ["errors", "header", "mapping"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]
