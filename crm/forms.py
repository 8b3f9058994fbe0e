"""Browser forms of the crm app: a user's own settings, a company's profile."""

from django import forms
from django.utils import timezone

from crm.models import SizeBand
from crm.services import MAX_HEAD_COUNT
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


class CompanyProfileForm(forms.Form):
    """The ideal-customer-profile facts of a company, as typed; crm.services.update_company
    decides what is stored and refuses what cannot be."""

    industry_code = forms.CharField(
        required=False, max_length=20, label="Industry code", help_text="NAICS or SIC, e.g. 238220 (plumbing, HVAC)."
    )
    size_band = forms.ChoiceField(required=False, label="Size band", choices=[("", "Not known"), *SizeBand.choices])
    head_count = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_HEAD_COUNT, label="Head count", help_text="People employed."
    )
    city = forms.CharField(required=False, max_length=100, label="City")
    region = forms.CharField(required=False, max_length=100, label="Region", help_text="State or province.")
    country = forms.CharField(required=False, max_length=2, label="Country", help_text="Two letters, e.g. US.")
    postal_code = forms.CharField(required=False, max_length=20, label="Postal code")
