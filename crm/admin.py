from django.contrib import admin

from crm.models import Company, Contact


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
