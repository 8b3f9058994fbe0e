from django.urls import path

from reports import api

urlpatterns = [
    path("summary/", api.SummaryView.as_view(), name="api-reports-summary"),
    path("funnel/", api.FunnelView.as_view(), name="api-reports-funnel"),
    path("sources/", api.SourcesView.as_view(), name="api-reports-sources"),
    path("pipeline/", api.PipelineView.as_view(), name="api-reports-pipeline"),
    path("offers/", api.OfferEngagementView.as_view(), name="api-reports-offers"),
]
