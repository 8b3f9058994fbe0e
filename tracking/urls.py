from django.urls import path

from tracking import forwards, views

urlpatterns = [
    path("t/<str:token>", views.follow, name="tracking-follow"),
    path("o/<str:token>", views.opened, name="tracking-open"),
    path("f/<str:token>", forwards.forward_page, name="tracking-forward"),
    path("track.js", views.script, name="tracking-script"),
    path("welcome/", views.landing, name="tracking-landing"),
]
