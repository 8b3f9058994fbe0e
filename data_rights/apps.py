from django.apps import AppConfig


class DataRightsConfig(AppConfig):
    """A contact's export and erasure on request. It sits on top of the other apps, since it
    reads and rewrites what every one of them holds about a person (registry.py)."""

    name = "data_rights"
    verbose_name = "Data rights"
