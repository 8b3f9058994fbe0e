from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The pages that put several apps on one screen: the lead page, the CSR's call console.
    No models: it reads and writes through the other apps' selectors and services."""

    name = "desk"
    verbose_name = "Desk"
