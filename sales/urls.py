from django.urls import path

from sales import views

urlpatterns = [
    path("leads/handover/", views.bulk_handover, name="lead-bulk-handover"),
    path("leads/<int:pk>/claim/", views.claim, name="lead-claim"),
    path("leads/<int:pk>/accept/", views.accept, name="lead-accept"),
    path("leads/<int:pk>/handover/", views.handover, name="lead-handover"),
    path("leads/<int:pk>/close/", views.close, name="lead-close"),
    path("leads/<int:pk>/feedback/", views.feedback, name="lead-feedback"),
    path("queue/", views.queue, name="queue"),
    path("queue/claim/", views.claim_next, name="queue-claim"),
    path("waiting/", views.waiting, name="waiting"),
    path("feedback/", views.feedback_report, name="feedback-report"),
]
