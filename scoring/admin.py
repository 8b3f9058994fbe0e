from django.contrib import admin

from scoring.models import Job, JobSlice, RuleSet, ScoreChange


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Read-only history of rule versions: drafts are edited and published on the Scoring page,
    and a published version never changes (every score records the version that made it)."""

    list_display = ["version", "status", "note", "created_at", "published_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScoreChange)
class ScoreChangeAdmin(admin.ModelAdmin):
    list_display = ["lead", "old_score", "new_score", "new_temperature", "reason", "rules_version", "changed_at"]
    raw_id_fields = ["lead"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class JobSliceInline(admin.TabularInline):
    model = JobSlice
    extra = 0
    can_delete = False
    readonly_fields = ["first_id", "last_id", "cursor", "finished_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "done", "total", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "kind",
        "status",
        "params",
        "total",
        "done",
        "error",
        "created_by",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    ]
    inlines = [JobSliceInline]

    def has_add_permission(self, request):
        return False
