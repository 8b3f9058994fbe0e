"""The production settings, unchanged except for ROOT_URLCONF.

The benchmark needs a bare Django JSON view as its baseline (what a request costs before the app
does anything). The app has none, and the bench must not edit app URLs, so the benchmarked
gunicorn runs with DJANGO_SETTINGS_MODULE=bench.settings, which adds that one route.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
