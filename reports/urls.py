from django.urls import path

from reports import views
from reports.analysis import views as analysis

urlpatterns = [
    path("", views.scoreboard, name="reports"),
    path("calculator/", views.calculator, name="reports-calculator"),
    path("<slug:name>.csv", views.download, name="reports-download"),
    path("analysis/", analysis.analysis, name="reports-analysis"),
    path("analysis/propose/", analysis.propose_rules, name="reports-analysis-propose"),
    path("analysis/profile-points/", analysis.profile_points, name="reports-analysis-profile-points"),
    path("analysis/segment/", analysis.save_segment, name="reports-analysis-segment"),
    path("analysis/<slug:name>.csv", analysis.download, name="reports-analysis-download"),
]
