from django.urls import path

from nurture import unsubscribe, views

urlpatterns = [
    path("u/<str:token>", unsubscribe.unsubscribe_page, name="unsubscribe"),
    path("sequences/", views.sequence_list, name="nurture-sequences"),
    path("sequences/new/", views.sequence_edit, name="nurture-sequence-new"),
    path("sequences/enrol/", views.enrol_from_list, name="nurture-enrol-from-list"),
    path("sequences/<int:pk>/", views.sequence_detail, name="nurture-sequence"),
    path("sequences/<int:pk>/edit/", views.sequence_edit, name="nurture-sequence-edit"),
    path("sequences/<int:pk>/start/", views.sequence_start, name="nurture-sequence-start"),
    path("sequences/<int:pk>/pause/", views.sequence_pause, name="nurture-sequence-pause"),
    path("sequences/enrolments/<int:pk>/take-out/", views.take_out, name="nurture-take-out"),
    path("leads/<int:pk>/sequences/", views.enrol_lead, name="nurture-enrol-lead"),
]
