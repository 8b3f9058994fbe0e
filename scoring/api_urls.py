"""/api/v1/scoring/versions/…: the history of rule sets (see docs/api.md "History")."""

from django.urls import path, re_path

from config.ids import ID_PATTERN
from scoring import api

# Versions are matched as ids (at most 18 digits): a longer number would overflow SQLite's integer.

urlpatterns = [
    path("", api.VersionsView.as_view(), name="api-scoring-versions"),
    re_path(rf"^(?P<version>{ID_PATTERN})/$", api.VersionView.as_view(), name="api-scoring-version"),
    re_path(
        rf"^(?P<a>{ID_PATTERN})/diff/(?P<b>{ID_PATTERN})/$",
        api.VersionDiffView.as_view(),
        name="api-scoring-version-diff",
    ),
    re_path(rf"^(?P<version>{ID_PATTERN})/restore/$", api.RestoreView.as_view(), name="api-scoring-version-restore"),
]
