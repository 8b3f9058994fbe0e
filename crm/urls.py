from django.urls import path

from crm import views

urlpatterns = [
    path("settings/", views.my_settings, name="my-settings"),
]
