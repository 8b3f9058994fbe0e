from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo users and book of leads (`manage.py seed_demo`), made through every app's
    services, so it sits on top of them all."""

    name = "demo"
    verbose_name = "Demo data"
