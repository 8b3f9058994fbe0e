"""Browser forms for marketing: an offer and its placements."""

from django import forms

from campaigns.models import Campaign, Offer, Placement
from config.times import DateTimeField


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "description"]


class OfferForm(forms.ModelForm):
    starts_at = DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    deadline = DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    class Meta:
        model = Offer
        fields = [
            "campaign",
            "code",
            "headline",
            "details",
            "starts_at",
            "deadline",
            "quantity_limit",
            "upsell_product",
            "upsell_pitch",
        ]
        widgets = {"details": forms.Textarea(attrs={"rows": 3}), "upsell_pitch": forms.Textarea(attrs={"rows": 2})}

    quantity_limit = forms.IntegerField(required=False, min_value=1, max_value=10_000_000, help_text="Empty: no limit.")

    def validate_unique(self):
        pass  # the service checks the code case-insensitively and reports it on the field

    def clean(self):
        data = super().clean()
        from campaigns.services import timing_and_limit_errors

        errors = timing_and_limit_errors(data.get("starts_at"), data.get("deadline"), data.get("quantity_limit"))
        for field, messages in errors.items():
            self.add_error(field, messages)
        return data

    def _post_clean(self):
        """Model constraints are the service's to report, in words, not as constraint names."""
        try:
            self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields)
        except ValueError:
            pass


PlacementFormSet = forms.inlineformset_factory(
    Offer,
    Placement,
    fields=["channel", "outlet", "starts_on", "ends_on", "cost"],
    widgets={"starts_on": forms.DateInput(attrs={"type": "date"}), "ends_on": forms.DateInput(attrs={"type": "date"})},
    extra=2,
    can_delete=True,
)
