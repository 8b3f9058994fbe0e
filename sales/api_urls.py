"""The sales side under /api/v1/ (CONTRACT "Leads", "Queue")."""

from django.urls import path, re_path

from config.ids import ID_PATTERN
from sales import api

lead = rf"^leads/(?P<pk>{ID_PATTERN})"

urlpatterns = [
    path("queue/", api.QueueView.as_view(), name="api-queue"),
    path("queue/claim/", api.ClaimNextView.as_view(), name="api-queue-claim"),
    path("alerts/hot-waiting/", api.WaitingHotLeadsView.as_view(), name="api-hot-waiting"),
    path("feedback/summary/", api.FeedbackSummaryView.as_view(), name="api-feedback-summary"),
    re_path(rf"{lead}/handover/$", api.HandoverView.as_view(), name="api-lead-handover"),
    re_path(rf"{lead}/accept/$", api.AcceptView.as_view(), name="api-lead-accept"),
    re_path(rf"{lead}/claim/$", api.ClaimView.as_view(), name="api-lead-claim"),
    re_path(rf"{lead}/close/$", api.CloseView.as_view(), name="api-lead-close"),
    re_path(rf"{lead}/feedback/$", api.FeedbackView.as_view(), name="api-lead-feedback"),
]
