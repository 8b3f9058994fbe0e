from django.contrib.auth import views as auth_views
from django.urls import path

from crm.login_guard import GuardedAuthenticationForm
from leads import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=GuardedAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/export.csv", views.lead_export, name="lead-export"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead-edit"),
]
