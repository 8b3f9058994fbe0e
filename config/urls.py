from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from campaigns.api import CampaignViewSet, OfferViewSet
from crm.api import CallerSearchView, MeView, TokenView
from crm.login_guard import GuardedAdminAuthenticationForm
from followups.api import FollowUpViewSet
from followups.letters.api import LetterBatchViewSet, LetterTemplateViewSet, LetterViewSet
from imports.api import ImportViewSet
from jobs.api import JobView
from leads import sales_api
from leads.api import LeadViewSet
from leads.capture_api import CaptureView
from scoring.api import DraftView, PreviewView, PublishedRulesView, PublishView

admin.site.login_form = GuardedAdminAuthenticationForm

router = DefaultRouter(trailing_slash=True)
router.register("leads", LeadViewSet, basename="lead")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("offers", OfferViewSet, basename="offer")
router.register("followups", FollowUpViewSet, basename="followup")
router.register("letters/templates", LetterTemplateViewSet, basename="letter-template")
router.register("letters/batches", LetterBatchViewSet, basename="letter-batch")
router.register("letters", LetterViewSet, basename="letter")
router.register("imports", ImportViewSet, basename="import")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/me/", MeView.as_view(), name="api-me"),
    path("capture/", CaptureView.as_view(), name="api-capture"),
    path("callers/", CallerSearchView.as_view(), name="api-callers"),
    path("scoring/rules/", PublishedRulesView.as_view(), name="api-scoring-rules"),
    path("scoring/draft/", DraftView.as_view(), name="api-scoring-draft"),
    path("scoring/preview/", PreviewView.as_view(), name="api-scoring-preview"),
    path("scoring/publish/", PublishView.as_view(), name="api-scoring-publish"),
    path("scoring/versions/", include("scoring.api_urls")),
    path("jobs/<int:pk>/", JobView.as_view(), name="api-job"),
    path("queue/", sales_api.QueueView.as_view(), name="api-queue"),
    path("queue/claim/", sales_api.ClaimNextView.as_view(), name="api-queue-claim"),
    path("engagement/", sales_api.RulesOfEngagementView.as_view(), name="api-engagement"),
    path("notifications/", sales_api.NotificationsView.as_view(), name="api-notifications"),
    path("alerts/hot-waiting/", sales_api.WaitingHotLeadsView.as_view(), name="api-hot-waiting"),
    path("reports/", include("reports.api_urls")),
    path("contacts/", include("crm.data_rights.api_urls")),
    path("feedback/summary/", sales_api.FeedbackSummaryView.as_view(), name="api-feedback-summary"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("scoring/", include("scoring.urls")),
    path("jobs/", include("jobs.urls")),
    path("reports/", include("reports.urls")),
    path("", include("crm.data_rights.urls")),
    path("", include("imports.urls")),
    path("", include("followups.urls")),
    path("", include("campaigns.urls")),
    path("", include("leads.urls")),
]

handler400 = "config.error_views.bad_request"
handler403 = "config.error_views.permission_denied"
handler404 = "config.error_views.not_found"
handler500 = "config.error_views.server_error"
