"""The URL map: the composition root, the one module that imports every app (tests/test_layers.py
lets it; no app imports it)."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from campaigns.api import CampaignViewSet, OfferViewSet
from config.ids import ID_PATTERN
from crm.api import MeView, TokenView
from crm.login_guard import GuardedAdminAuthenticationForm
from followups.api import FollowUpViewSet
from followups.letters.api import LeadEmailView, LetterBatchViewSet, LetterTemplateViewSet, LetterViewSet
from imports.api import ImportViewSet
from jobs.api import JobView
from leads.api import CallerSearchView, ContactMergeView, LeadViewSet, RedeemOfferView, RulesOfEngagementView
from leads.capture_api import CaptureView
from notifications.api import NotificationsView
from nurture.api import EnrolmentViewSet, SequenceViewSet
from reports.analysis.api import SuggestView
from scoring.api import DraftView, PreviewView, PublishedRulesView, PublishView
from tracking.api import EmailListView, LeadEngagementView
from tracking.beacons import beacon

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
router.register("sequences", SequenceViewSet, basename="sequence")
router.register("enrolments", EnrolmentViewSet, basename="enrolment")

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
    path("engagement/", RulesOfEngagementView.as_view(), name="api-engagement"),
    path("notifications/", NotificationsView.as_view(), name="api-notifications"),
    re_path(rf"^offers/(?P<pk>{ID_PATTERN})/redeem/$", RedeemOfferView.as_view(), name="api-offer-redeem"),
    re_path(rf"^leads/(?P<pk>{ID_PATTERN})/email/$", LeadEmailView.as_view(), name="api-lead-email"),
    re_path(rf"^leads/(?P<pk>{ID_PATTERN})/engagement/$", LeadEngagementView.as_view(), name="api-lead-engagement"),
    path("emails/", EmailListView.as_view(), name="api-emails"),
    path("track/", beacon, name="api-track"),
    path("reports/", include("reports.api_urls")),
    path("reports/", include("reports.analysis.api_urls")),
    path("scoring/draft/suggest/", SuggestView.as_view(), name="api-scoring-draft-suggest"),
    path("contacts/merge/", ContactMergeView.as_view(), name="api-contact-merge"),
    path("contacts/", include("data_rights.api_urls")),
    path("", include("sales.api_urls")),
    path("", include(router.urls)),
]

urlpatterns = [
    # First: the tracking doors (/o/, /t/) answer every open and click a campaign brings, the
    # most requests of any; resolved here before the dozens of patterns below are tried.
    path("", include("tracking.urls")),
    # Browsers, feed readers and PDF viewers ask for /favicon.ico whatever the page says: the icon's file.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.ico")), name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("scoring/", include("scoring.urls")),
    path("jobs/", include("jobs.urls")),
    path("reports/", include("reports.urls")),
    path("", include("nurture.urls")),
    path("", include("crm.urls")),
    path("", include("data_rights.urls")),
    path("", include("imports.urls")),
    path("", include("followups.urls")),
    path("", include("campaigns.urls")),
    path("", include("notifications.urls")),
    path("", include("sales.urls")),
    path("", include("desk.urls")),
    path("", include("leads.urls")),
]

handler400 = "config.error_views.bad_request"
handler403 = "config.error_views.permission_denied"
handler404 = "config.error_views.not_found"
handler500 = "config.error_views.server_error"
