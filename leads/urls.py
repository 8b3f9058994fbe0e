from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from crm.login_guard import GuardedAuthenticationForm
from leads import console_views, redemption_views, sales_views, views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="lead-list", permanent=False)),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=GuardedAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/export.csv", views.lead_export, name="lead-export"),
    path("leads/handover/", views.lead_bulk_handover, name="lead-bulk-handover"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("leads/<int:pk>/log/", views.log_interaction, name="lead-log"),
    path("leads/<int:pk>/redeem/", redemption_views.redeem, name="lead-redeem"),
    path("leads/<int:pk>/claim/", sales_views.claim, name="lead-claim"),
    path("leads/<int:pk>/accept/", sales_views.accept, name="lead-accept"),
    path("leads/<int:pk>/handover/", sales_views.handover, name="lead-handover"),
    path("leads/<int:pk>/close/", sales_views.close, name="lead-close"),
    path("leads/<int:pk>/feedback/", sales_views.feedback, name="lead-feedback"),
    path("console/", console_views.console, name="console"),
    path("console/search/", console_views.console_search, name="console-search"),
    path("console/caller/<int:pk>/", console_views.console_caller, name="console-caller"),
    path("console/offers/", console_views.console_offers, name="console-offers"),
    path("console/new-caller/", console_views.new_caller, name="console-new-caller"),
    path("queue/", sales_views.queue, name="queue"),
    path("queue/claim/", sales_views.claim_next, name="queue-claim"),
    path("waiting/", sales_views.waiting, name="waiting"),
    path("notifications/", sales_views.notifications, name="notifications"),
    path("feedback/", sales_views.feedback_report, name="feedback-report"),
]
