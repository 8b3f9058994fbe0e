from django.urls import path

from campaigns import views

urlpatterns = [
    path("briefing/", views.briefing_page, name="briefing"),
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("offers/new/", views.offer_edit, name="offer-new"),
    path("offers/<int:pk>/", views.offer_edit, name="offer-edit"),
    path("offers/<int:pk>/launch/", views.offer_launch, name="offer-launch"),
]
