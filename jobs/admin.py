from django.contrib import admin

from jobs.models import Job, JobSlice


class JobSliceInline(admin.TabularInline):
    model = JobSlice
    extra = 0
    can_delete = False
    readonly_fields = ["first_id", "last_id", "cursor", "lease", "heartbeat_at", "sent_at", "finished_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: jobs move only through jobs.services."""

    list_display = ["id", "kind", "status", "done", "total", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "kind",
        "status",
        "params",
        "total",
        "done",
        "error",
        "failures",
        "created_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    ]
    inlines = [JobSliceInline]

    def has_add_permission(self, request):
        return False
