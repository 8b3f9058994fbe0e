"""Browser forms for marketing: a campaign, an offer and its placements."""

from django import forms
from django.utils import timezone

from campaigns.models import Campaign, Channel, Offer, Placement
from campaigns.services import normalize_code, offer_errors
from config.times import DateTimeField


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        """The name's uniqueness (a constraint) is the service's to report, on the field, in words."""
        try:
            self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields)
        except ValueError:
            pass


class CampaignChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (archived)" if obj.archived else obj.name


class OfferForm(forms.ModelForm):
    """The offer's own fields. Its campaign is one still open to new offers, or the one it is
    saved in; `preselect_campaign` (the campaign list's "New offer in …" link) only pre-selects
    the campaign of a new offer, never overrides a saved one."""

    starts_at = DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    deadline = DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    campaign = CampaignChoiceField(queryset=Campaign.objects.none())

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
            "landing_url",
        ]
        widgets = {"details": forms.Textarea(attrs={"rows": 3}), "upsell_pitch": forms.Textarea(attrs={"rows": 2})}

    quantity_limit = forms.IntegerField(required=False, min_value=1, max_value=10_000_000, help_text="Empty: no limit.")
    landing_url = forms.URLField(
        required=False,
        max_length=1000,
        assume_scheme="https",
        help_text="Where its tracked address and its letters' QR codes lead (the company's site when empty).",
    )

    def __init__(self, *args, preselect_campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Typed times are read in the zone of the request: the user's own (crm.middleware).
        for name in ("starts_at", "deadline"):
            self.fields[name].help_text = f"Your time, {timezone.get_current_timezone_name()}."
        open_campaigns = Campaign.objects.filter(archived=False)
        if self.instance.campaign_id:
            open_campaigns = open_campaigns | Campaign.objects.filter(pk=self.instance.campaign_id)
        self.fields["campaign"].queryset = open_campaigns.order_by("name")
        if self.instance.pk is None and preselect_campaign and "campaign" not in self.initial:
            self.initial["campaign"] = preselect_campaign

    def clean_code(self):
        return normalize_code(self.cleaned_data.get("code"))

    def clean(self):
        """The service's rules (campaigns.services.offer_errors) on a draft of the offer, each
        beside its field, unless that field already has an error of its own."""
        data = super().clean()
        draft = Offer(
            pk=self.instance.pk,
            redeemed=self.instance.redeemed,
            **{name: data.get(name) for name in self._meta.fields},
        )
        for field, messages in offer_errors(draft).items():
            if field not in self.errors:
                self.add_error(field, messages)
        return data

    def _post_clean(self):
        """Model constraints are the service's to report, in words, not as constraint names."""
        try:
            self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields)
        except ValueError:
            pass


CHANNEL_CHOICES = [("", "Choose…"), *Channel.choices]


class PlacementForm(forms.ModelForm):
    """One placement row. The channel is picked from the list (Channel); "Other" takes the channel
    typed beside it. A saved channel the list does not know shows as "Other" with its text. The
    model's clean() puts an end before the start and a negative cost on their fields."""

    channel = forms.ChoiceField(choices=CHANNEL_CHOICES)
    channel_other = forms.CharField(
        required=False, max_length=Placement._meta.get_field("channel").max_length, label="Other channel"
    )

    class Meta:
        model = Placement
        fields = ["channel", "channel_other", "outlet", "starts_on", "ends_on", "cost"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = self.instance.channel if self.instance.pk else ""
        if saved:
            known = Channel.known(saved)
            self.initial["channel"] = known or Channel.OTHER
            self.initial["channel_other"] = "" if known else saved
        labels = {
            "channel": "Channel",
            "channel_other": "Other channel",
            "outlet": "Outlet",
            "starts_on": "From",
            "ends_on": "To",
            "cost": "Cost",
        }
        for name, label in labels.items():
            self.fields[name].help_text = ""  # the column headings and placeholders say it
            self.fields[name].widget.attrs["aria-label"] = label
        self.fields["outlet"].widget.attrs["placeholder"] = "The paper, station, site…"
        self.fields["channel"].widget.attrs["data-channel"] = ""
        self.fields["channel_other"].widget.attrs.update({"data-channel-other": "", "placeholder": "Which channel?"})
        self.fields["cost"].widget.attrs.update({"min": "0", "step": "0.01"})

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.OTHER:
            typed = (data.get("channel_other") or "").strip()
            if typed:
                data["channel"] = Channel.known(typed) or typed
            else:
                self.add_error("channel", "Type the channel in the box, or pick one from the list.")
        return data


PlacementFormSet = forms.inlineformset_factory(
    Offer,
    Placement,
    form=PlacementForm,
    extra=1,
    can_delete=True,
)
