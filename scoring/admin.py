from django.contrib import admin

from config.admin import AuditAdmin, ViewOnlyAdmin
from scoring.models import RuleSet, ScoreChange


@admin.register(RuleSet)
class RuleSetAdmin(AuditAdmin):
    """Read-only history of rule versions: drafts are edited and published on the Scoring page,
    and a published version never changes (every score records the version that made it)."""

    list_display = ["version", "status", "note", "created_at", "published_at", "published_by", "restored_from"]


@admin.register(ScoreChange)
class ScoreChangeAdmin(ViewOnlyAdmin):
    list_display = ["lead", "old_score", "new_score", "new_temperature", "reason", "rules_version", "changed_at"]
    raw_id_fields = ["lead"]
