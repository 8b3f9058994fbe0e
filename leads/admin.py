"""Admin pages. Stage and score are read-only here too: they move only through services."""

from django.contrib import admin

from config.admin import AuditAdmin, ViewOnlyAdmin
from leads.capture import revoke_form_key
from leads.models import (
    ContactMerge,
    FormKey,
    Handover,
    IdempotencyRecord,
    Interaction,
    Lead,
    LeadFeedback,
    RulesOfEngagement,
    StageChange,
)
from leads.scores import forget_tallies


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_stage", "to_stage", "changed_by", "changed_at", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "stage", "score", "temperature", "owner", "source", "created_at"]
    list_filter = ["stage", "temperature", "source"]
    search_fields = ["contact__first_name", "contact__last_name", "contact__email", "contact__phone"]
    list_select_related = ["contact", "owner"]
    raw_id_fields = ["contact", "referrer", "offer", "campaign", "placement", "form_key"]
    readonly_fields = [
        "stage",
        "score",
        "temperature",
        "rules_version",
        "score_computed_at",
        "owner",
        "created_at",
        "last_activity_at",
        "closed_at",
        "won_amount",  # the close records the sale (sales.services.close_lead), checked there
        "upsell_accepted",
        "upsell_amount",
        "lost_reason",
        "sales_ready_at",
        "handed_over_at",
        "owner_accepted_at",
        "hot_since",
        "last_contacted_at",
        "alerted_at",
        "sales_cycle_days",
    ]
    inlines = [StageChangeInline]

    def save_model(self, request, obj, form, change):
        """Only the fields the form changed: the rest of the row (the score, its tally, the stage)
        may have moved since the page was read, and writing them back would undo that."""
        if change:
            obj.save(update_fields=form.changed_data)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    """An interaction's metadata may be corrected and an interaction deleted here: either may
    change what its lead's score counts, so the lead's tally is forgotten (leads.scores) and its
    next rescore counts its interactions again."""

    list_display = ["lead", "kind", "occurred_at", "author"]
    list_filter = ["kind"]
    raw_id_fields = ["lead", "offer"]
    readonly_fields = ["lead", "kind", "occurred_at", "author", "answers", "created_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_tallies([obj.lead_id])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_tallies([obj.lead_id])

    def delete_queryset(self, request, queryset):
        lead_ids = set(queryset.values_list("lead_id", flat=True))
        super().delete_queryset(request, queryset)
        forget_tallies(lead_ids)


@admin.register(FormKey)
class FormKeyAdmin(admin.ModelAdmin):
    """Keys are created with `manage.py create_form_key NAME`, which prints the key once."""

    list_display = ["name", "prefix", "created_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for form_key in queryset:
            revoke_form_key(form_key)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["key", "form_key", "status_code", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(RulesOfEngagement)
class RulesOfEngagementAdmin(admin.ModelAdmin):
    """Managers set what sales-ready means besides the score, and the response-time limits."""

    list_display = ["__str__", "required_facts", "hot_response_minutes", "reassign_after_minutes", "updated_at"]

    def has_add_permission(self, request):
        return not RulesOfEngagement.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Handover)
class HandoverAdmin(ViewOnlyAdmin):
    list_display = ["lead", "kind", "from_user", "to_user", "at", "accepted_at"]
    list_filter = ["kind"]
    raw_id_fields = ["lead"]


@admin.register(LeadFeedback)
class LeadFeedbackAdmin(admin.ModelAdmin):
    list_display = ["lead", "rating", "reason", "author", "created_at"]
    raw_id_fields = ["lead"]


@admin.register(ContactMerge)
class ContactMergeAdmin(AuditAdmin):
    """The audit of merged duplicate contacts (leads.merging): read-only, like every audit."""

    list_display = ["__str__", "merged_name", "merged_email", "merged_by", "merged_at"]
    search_fields = ["merged_name", "merged_email", "merged_phone", "=merged_contact_id", "=kept__id"]
    raw_id_fields = ["kept"]
