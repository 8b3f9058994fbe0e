"""Campaigns, their offers and where each offer's ads run (placements)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class Campaign(models.Model):
    """A push towards a segment that holds offers. Names are unique whatever their case; an
    archived campaign is kept for its history but hidden and closed to new offers."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    segment = models.JSONField(
        default=dict, blank=True, help_text="Saved filter over contacts (industry, size, region…)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    archived = models.BooleanField(default=False, help_text="Hidden from the campaign list; takes no new offers.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="campaign_name_unique_ci",
                violation_error_message="Another campaign already has this name.",
            ),
        ]

    def __str__(self):
        return self.name


class OfferStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    EXPIRED = "expired", "Expired"
    SOLD_OUT = "sold_out", "Sold out"


class Offer(models.Model):
    """A promotion with a code printed on letters and ads. `code` is stored upper-case."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="offers")
    code = models.CharField(max_length=40, unique=True)
    headline = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    deadline = models.DateTimeField()
    quantity_limit = models.PositiveIntegerField(null=True, blank=True)
    redeemed = models.PositiveIntegerField(default=0)
    upsell_product = models.CharField(max_length=200, blank=True)
    upsell_pitch = models.TextField(blank=True)
    landing_url = models.URLField(
        max_length=1000,
        blank=True,
        help_text="Where its tracked address and its letters' QR codes lead (the company's site when empty).",
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When marketing was told it ends within a day, or is nearly sold out (once each).
    ending_alerted_at = models.DateTimeField(null=True, blank=True)
    low_stock_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline"]
        indexes = [models.Index(fields=["launched_at", "deadline"], name="offer_live_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=F("starts_at")),
                name="offer_deadline_after_start",
                violation_error_message="The deadline must come after the start.",
            ),
            models.CheckConstraint(
                condition=Q(quantity_limit__isnull=True) | Q(redeemed__lte=F("quantity_limit")),
                name="offer_redeemed_within_limit",
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.headline}"

    def status_at(self, now=None) -> str:
        """Draft until launched; then live, sold out or expired, derived so it is never stale."""
        now = now or timezone.now()
        if self.launched_at is None:
            return OfferStatus.DRAFT
        if now >= self.deadline:
            return OfferStatus.EXPIRED
        if self.quantity_limit is not None and self.redeemed >= self.quantity_limit:
            return OfferStatus.SOLD_OUT
        return OfferStatus.LIVE

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def remaining(self) -> int | None:
        if self.quantity_limit is None:
            return None
        return max(self.quantity_limit - self.redeemed, 0)


class Channel(models.TextChoices):
    """The channels an ad usually runs in, offered as a list; a placement's channel stays free
    text (CONTRACT: a string), so "other" stands for one the user types."""

    DIRECT_MAIL = "direct mail", "Direct mail"
    NEWSPAPER = "newspaper", "Newspaper"
    MAGAZINE = "magazine", "Magazine"
    RADIO = "radio", "Radio"
    TV = "tv", "TV"
    WEB = "web", "Web"
    EMAIL = "email", "E-mail"
    SOCIAL = "social", "Social"
    OUTDOOR = "outdoor", "Outdoor"
    EVENT = "event", "Event"
    OTHER = "other", "Other"

    @classmethod
    def known(cls, text: str) -> str | None:
        """The listed channel `text` names, by value or label in any case ("E-mail", "TV"), or None."""
        wanted = (text or "").strip().casefold()
        for value, label in cls.choices:
            if value != cls.OTHER and wanted in (value.casefold(), label.casefold()):
                return value
        return None

    @classmethod
    def clicked_through(cls, text: str) -> bool:
        """Whether people reach us from an ad in this channel through a link, which carries the
        UTM fields: web, e-mail and social. Print, radio, TV, outdoor, events and direct mail
        have no UTM source (docs/attribution.md)."""
        return cls.known(text) in (cls.WEB, cls.EMAIL, cls.SOCIAL)


PLACEMENT_ENDS_BEFORE_START = "The placement must end on or after the day it starts."
PLACEMENT_COST_NEGATIVE = "The cost cannot be negative."


class Placement(models.Model):
    """Where an offer's ads run, when, and what it costs: the cost side of ROI per source."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="placements")
    channel = models.CharField(max_length=50, help_text="e.g. direct mail, radio, web, newspaper.")
    outlet = models.CharField(max_length=200, help_text="e.g. the paper or station's name.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="placement_ends_after_start",
                violation_error_message=PLACEMENT_ENDS_BEFORE_START,
            ),
            models.CheckConstraint(
                condition=Q(cost__gte=0),
                name="placement_cost_not_negative",
                violation_error_message=PLACEMENT_COST_NEGATIVE,
            ),
        ]

    def __str__(self):
        return f"{self.channel_label}: {self.outlet}"

    @property
    def channel_label(self) -> str:
        """The channel as people read it: "TV" for `tv`, a typed channel as typed."""
        known = Channel.known(self.channel)
        return Channel(known).label if known else self.channel

    def clean(self):
        """The two check constraints as errors on their fields, in words: every form (the offer
        editor's rows, the admin's inline), the API and the service report these, so a refused row
        never reaches the database or comes back as a constraint's name."""
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = [PLACEMENT_ENDS_BEFORE_START]
        if self.cost is not None and self.cost < 0:
            errors["cost"] = [PLACEMENT_COST_NEGATIVE]
        if errors:
            raise ValidationError(errors)


class Redemption(models.Model):
    """A lead took an offer up. One per lead per offer; the offer's `redeemed` counts them."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="redemptions")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="redemptions")
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    redeemed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-redeemed_at"]
        constraints = [models.UniqueConstraint(fields=["offer", "lead"], name="one_redemption_per_lead_per_offer")]

    def __str__(self):
        return f"{self.offer.code} by lead {self.lead_id}"
