from django.urls import path

from reports import views

urlpatterns = [
    path("", views.scoreboard, name="reports"),
    path("calculator/", views.calculator, name="reports-calculator"),
    path("<slug:name>.csv", views.download, name="reports-download"),
]
