"""Every app URL (config.urls), plus /bench/bare-json/: the baseline of the benchmark."""

from django.http import JsonResponse
from django.urls import include, path


def bare_json(request):
    """The cheapest Django JSON answer: the full middleware stack and no database work."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare-json/", bare_json, name="bench-bare-json"),
    path("", include("config.urls")),
]
