from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from config.admin import AuditAdmin
from crm.models import Erasure
from data_rights.registry import COVERED


@admin.register(Erasure)
class ErasureAdmin(AuditAdmin):
    """The audit of erasures (data_rights): read only; an erasure is made from the contact's
    lead page or the API, never here."""

    list_display = ["contact_id", "erased_by", "erased_at", "counts"]
    list_select_related = ["erased_by"]
    fields = readonly_fields = ["contact", "erased_by", "erased_at", "touched"]

    @admin.display(description="Rows touched")
    def touched(self, erasure):
        lines = [
            (label, count, COVERED[label].erasure if label in COVERED else "")
            for label, count in sorted((erasure.counts or {}).items())
        ]
        return format_html_join(mark_safe("<br>"), "{}: {} ({})", lines) or "—"
