from django.contrib import admin

from campaigns.models import Campaign, Offer, Placement


class PlacementInline(admin.TabularInline):
    model = Placement
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "archived", "created_at"]
    list_filter = ["archived"]
    search_fields = ["name"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["code", "headline", "campaign", "starts_at", "deadline", "quantity_limit", "redeemed", "status"]
    search_fields = ["code", "headline"]
    list_select_related = ["campaign"]
    readonly_fields = ["redeemed"]
    inlines = [PlacementInline]
