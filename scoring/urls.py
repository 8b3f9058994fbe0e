from django.urls import path

from scoring import views

urlpatterns = [
    path("", views.rules_page, name="scoring-rules"),
    path("draft/", views.save_draft, name="scoring-save-draft"),
    path("draft/json/", views.save_draft_json, name="scoring-save-draft-json"),
    path("draft/discard/", views.discard_draft, name="scoring-discard-draft"),
    path("preview/", views.preview, name="scoring-preview"),
    path("publish/", views.publish, name="scoring-publish"),
    path("history/", views.history, name="scoring-history"),
    path("history/<int:version>/restore/", views.restore, name="scoring-restore"),
]
