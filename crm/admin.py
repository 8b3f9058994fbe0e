from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from crm.forms import TimeZoneField
from crm.models import Company, Contact, StaffProfile


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "industry_code", "size_band", "city", "region"]
    search_fields = ["name", "industry_code"]
    list_filter = ["size_band"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "company", "consent", "do_not_contact"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    list_filter = ["consent", "do_not_contact"]
    list_select_related = ["company"]
    raw_id_fields = ["company"]


class StaffProfileForm(forms.ModelForm):
    time_zone = TimeZoneField(help_text="The zone their pages show times in; the company's when blank.")

    class Meta:
        model = StaffProfile
        fields = ["time_zone"]


class StaffProfileInline(admin.StackedInline):
    """A manager sets a user's time zone on the user's own admin page."""

    model = StaffProfile
    form = StaffProfileForm
    can_delete = False
    verbose_name = verbose_name_plural = "Settings"


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
