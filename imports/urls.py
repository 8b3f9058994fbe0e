from django.urls import path

from imports import views

urlpatterns = [
    path("imports/", views.imports_home, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/preview/", views.import_preview, name="import-preview"),
    path("imports/<int:pk>/reading/", views.import_reading, name="import-reading"),
    path("imports/<int:pk>/start/", views.import_start, name="import-start"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import-discard"),
    path("imports/<int:pk>/rejected.csv", views.import_rejected, name="import-rejected"),
]
