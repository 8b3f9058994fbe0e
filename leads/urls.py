from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from leads import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="lead-list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/log/", views.log_interaction, name="lead-log"),
]
