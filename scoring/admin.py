from django.contrib import admin

from scoring.models import RuleSet, ScoreChange


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Read-only history of rule versions: drafts are edited and published on the Scoring page,
    and a published version never changes (every score records the version that made it)."""

    list_display = ["version", "status", "note", "created_at", "published_at", "published_by", "restored_from"]

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
