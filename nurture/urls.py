from django.urls import path

from nurture import unsubscribe

urlpatterns = [
    path("u/<str:token>", unsubscribe.unsubscribe_page, name="unsubscribe"),
]
