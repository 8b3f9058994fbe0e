"""Browser forms of the crm app: a user's own settings."""

from django import forms
from django.utils import timezone

from crm.zones import zone_choices


class TimeZoneField(forms.ChoiceField):
    """A select of every zone a person may choose, the company's first (blank)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Time zone")
        super().__init__(choices=lambda: zone_choices(timezone.now()), **kwargs)


class MySettingsForm(forms.Form):
    time_zone = TimeZoneField(
        help_text="Every page shows times in this zone, and the times you type (a callback, an offer's "
        "deadline) are read in it."
    )
