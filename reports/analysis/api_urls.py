from django.urls import path

from reports.analysis import api, icp_api

urlpatterns = [
    path("calibration/", api.CalibrationView.as_view(), name="api-reports-calibration"),
    path("raters/", api.RatersView.as_view(), name="api-reports-raters"),
    path("rules/", api.RulesView.as_view(), name="api-reports-rules"),
    path("icp/", api.IdealCustomerView.as_view(), name="api-reports-icp"),
    path("icp/segment/", icp_api.IdealCustomerSegmentView.as_view(), name="api-reports-icp-segment"),
]
