from django.urls import path

from campaigns import views

urlpatterns = [
    path("briefing/", views.briefing_page, name="briefing"),
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/<int:pk>/", views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/archive/", views.campaign_archive, {"archived": True}, name="campaign-archive"),
    path("campaigns/<int:pk>/restore/", views.campaign_archive, {"archived": False}, name="campaign-restore"),
    path("offers/new/", views.offer_edit, name="offer-new"),
    path("offers/<int:pk>/", views.offer_edit, name="offer-edit"),
    path("offers/<int:pk>/launch/", views.offer_launch, name="offer-launch"),
]
