"""Admin bases for the records people read in the Django admin but never write there: what the
product wrote (e-mails, hand-overs, score changes, imports) and the audits (erasures, merges,
published rules), which nobody deletes either."""

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """Read in the admin, never added or changed there: only the product's services write it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditAdmin(ViewOnlyAdmin):
    """An audit: read, never added, changed or deleted in the admin."""

    def has_delete_permission(self, request, obj=None):
        return False
