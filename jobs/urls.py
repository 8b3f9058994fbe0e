from django.urls import path

from jobs import views

urlpatterns = [
    path("<int:pk>/", views.job_progress, name="job-progress"),
]
