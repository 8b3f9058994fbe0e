from django.urls import path

from followups import views
from followups.letters import views as letters

urlpatterns = [
    path("followups/", views.my_followups, name="my-followups"),
    path("followups/<int:pk>/complete/", views.complete, name="followup-complete"),
    path("followups/<int:pk>/skip/", views.skip, name="followup-skip"),
    path("followups/<int:pk>/reschedule/", views.reschedule, name="followup-reschedule"),
    path("followups/scripts/", views.script_list, name="followup-scripts"),
    path("followups/scripts/new/", views.script_edit, name="followup-script-new"),
    path("followups/scripts/<int:pk>/", views.script_edit, name="followup-script-edit"),
    path("leads/<int:pk>/callback/", views.schedule_callback, name="lead-callback"),
    path("letters/", letters.letters_home, name="letters"),
    path("letters/new/", letters.template_edit, name="letter-template-new"),
    path("letters/preview/", letters.live_preview, name="letter-live-preview"),
    path("letters/<int:pk>/", letters.template_edit, name="letter-template-edit"),
    path("letters/<int:pk>/dry-run/", letters.dry_run, name="letter-dry-run"),
    path("letters/<int:pk>/send/", letters.send, name="letter-send"),
    path("letters/batches/<int:pk>/", letters.batch_detail, name="letter-batch"),
    path("letters/batches/<int:pk>/pdf/", letters.batch_pdf, name="letter-batch-pdf"),
    path("letters/sent/<int:pk>.pdf", letters.letter_pdf, name="letter-pdf"),
]
