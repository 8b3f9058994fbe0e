"""The manager's pages: /contacts/<id>/export/ (a JSON download) and /contacts/<id>/erase/."""

from django.urls import path

from data_rights import views

urlpatterns = [
    path("contacts/<int:pk>/export/", views.contact_export, name="contact-export"),
    path("contacts/<int:pk>/erase/", views.contact_erase, name="contact-erase"),
]
