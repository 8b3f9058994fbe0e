"""/api/v1/scoring/versions/…: the history of rule sets (see docs/api.md "History")."""

from django.urls import path

from scoring import api

urlpatterns = [
    path("", api.VersionsView.as_view(), name="api-scoring-versions"),
    path("<int:version>/", api.VersionView.as_view(), name="api-scoring-version"),
    path("<int:a>/diff/<int:b>/", api.VersionDiffView.as_view(), name="api-scoring-version-diff"),
    path("<int:version>/restore/", api.RestoreView.as_view(), name="api-scoring-version-restore"),
]
