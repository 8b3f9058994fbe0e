"""Leads (buying opportunities), their stage history and interactions, and web-form keys."""

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from leads.kinds import OUTCOME_STAGES, InteractionKind, Source, Stage

__all__ = [
    "Stage",
    "InteractionKind",
    "Source",
    "Lead",
    "StageChange",
    "Interaction",
    "FormKey",
    "IdempotencyRecord",
    "Handover",
    "RulesOfEngagement",
    "LeadFeedback",
    "ContactMerge",
]


class Temperature(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class Lead(models.Model):
    """One buying opportunity of a contact. Score, temperature and stage change only via services."""

    # contact and owner have no index of their own: lead_contact_stage_idx and lead_owner_stage_idx
    # begin with them, and every index a lead carries is paid again on each score it gets.
    contact = models.ForeignKey("crm.Contact", on_delete=models.PROTECT, related_name="leads", db_index=False)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.INQUIRY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
        db_index=False,
    )
    score = models.PositiveSmallIntegerField(default=0)
    # The score when it counted, kept for score analysis (reports.analysis): did the number mean
    # what it said? Written by leads.scores (first inquiry) and leads.stages (sales-ready).
    inquiry_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The score once its first inquiry was scored."
    )
    sales_ready_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The score when it last became sales-ready."
    )
    temperature = models.CharField(max_length=4, choices=Temperature.choices, default=Temperature.COLD)
    rules_version = models.PositiveIntegerField(default=0)
    score_computed_at = models.DateTimeField(null=True, blank=True)
    # What the score needs of the lead's interactions, kept as they are logged so that a rescore
    # on one interaction never rereads the others (leads.scores: the tally). NULL: count them again.
    score_tally = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text='{"version": rules version, "counts": {rule: n}, "answers": {question: [answer, at, id]}}',
    )
    # The same tally of its interactions up to its close, and who recorded which answer, kept for
    # score analysis (reports.analysis) so that it never rereads the outcomes' interactions.
    # Written with the tally (leads.scores); NULL: not closed, or to be counted again. And the
    # profile it closed with, written by the close (sales.services); NULL: not recorded.
    closing_tally = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text='The tally up to closed_at, plus "answered": [[question, author id, answer, n], ...].',
    )
    closing_profile = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The contact's and company's profile (as the score reads it) when it last closed.",
    )

    # Where it came from.
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.OTHER)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    offer = models.ForeignKey("campaigns.Offer", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    placement = models.ForeignKey(
        "campaigns.Placement", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    offer_code = models.CharField(max_length=40, blank=True, help_text="The code as the prospect gave it.")
    offer_code_problem = models.CharField(
        max_length=10,
        blank=True,
        help_text="Why the code did not match a live offer: unknown, not_live, expired or sold_out.",
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    form_key = models.ForeignKey(
        "leads.FormKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    referrer = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals")
    bought_list = models.ForeignKey(
        "imports.BoughtList",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        help_text="The bought list this name came from (source `list`): the scoreboard groups by it.",
    )

    # What sales must know before the first contact (seed 001).
    inquiry_reason = models.TextField(blank=True, help_text="What generated the inquiry.")
    desired_outcome = models.TextField(blank=True, help_text="The results the prospect wants.")

    # Money and closing.
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    won_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    upsell_offered = models.BooleanField(default=False)
    upsell_accepted = models.BooleanField(default=False)
    # The upsell's part of won_amount, when it was accepted and its value recorded (seed 000:
    # the upsell raises the average transaction; the scoreboard shows by how much).
    upsell_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lost_reason = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # The sales side: when it became ready, was handed over, went hot, was last contacted.
    sales_ready_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    owner_accepted_at = models.DateTimeField(null=True, blank=True)
    hot_since = models.DateTimeField(null=True, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True, help_text="Our last call or meeting.")
    alerted_at = models.DateTimeField(null=True, blank=True, help_text="Last response-time alert.")
    sales_cycle_days = models.PositiveIntegerField(null=True, blank=True)
    inquired_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When it first inquired: the scoreboard's cohort is by this."
    )
    first_hot_at = models.DateTimeField(
        null=True, blank=True, help_text="When it first turned hot (never reset, unlike hot_since)."
    )
    hot_response_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="From first turning hot to our first call or meeting after (the scoreboard's)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="lead_score_0_to_100"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="lead_stage_valid"),
            models.CheckConstraint(
                condition=~Q(stage=Stage.SALES_READY) | Q(sales_ready_at__isnull=False),
                name="lead_sales_ready_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(upsell_amount__isnull=True)
                | Q(upsell_accepted=True, upsell_amount__gte=0, upsell_amount__lte=F("won_amount")),
                name="lead_upsell_within_the_sale",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "-score"], name="lead_stage_score_idx"),
            models.Index(fields=["owner", "stage"], name="lead_owner_stage_idx"),
            models.Index(fields=["-score", "-id"], name="lead_score_idx"),
            models.Index(fields=["-last_activity_at"], name="lead_last_activity_idx"),
            models.Index(fields=["contact", "stage"], name="lead_contact_stage_idx"),
            # The queue: the unassigned sales-ready pool in priority order, and each owner's leads.
            models.Index(
                F("score").desc(),
                "sales_ready_at",
                "id",
                condition=Q(stage=Stage.SALES_READY, owner__isnull=True),
                name="lead_pool_priority_idx",
            ),
            models.Index(
                "owner",
                F("score").desc(),
                "id",
                condition=Q(stage__in=[Stage.INQUIRY, Stage.SALES_READY, Stage.UNCLOSED]),
                name="lead_owner_open_idx",
            ),
            models.Index(fields=["hot_since"], condition=Q(temperature="hot"), name="lead_hot_since_idx"),
            # Score analysis (reports.analysis): the outcomes of a period counted, and banded by the
            # score they had, from the index alone; and those still without a closing tally found.
            models.Index(
                fields=["closed_at"],
                include=["stage", "sales_ready_score", "inquiry_score"],
                condition=Q(stage__in=OUTCOME_STAGES),
                name="lead_outcome_idx",
            ),
            models.Index(
                fields=["closed_at"],
                condition=Q(stage__in=OUTCOME_STAGES, closing_tally__isnull=True),
                name="lead_untallied_idx",
            ),
            # The ideal customer profile: a period's won sales with whose they are and what they
            # brought, from the index alone.
            models.Index(
                fields=["closed_at"],
                include=["stage", "contact", "won_amount", "offer", "upsell_accepted", "source"],
                condition=Q(stage__in=[Stage.WON, Stage.CUSTOMER]),
                name="lead_won_idx",
            ),
        ]

    def __str__(self):
        return f"Lead #{self.pk} – {self.contact}"


class StageChange(models.Model):
    """Every move of a lead from one stage to another: who, when and why."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["lead", "changed_at"], name="stagechange_lead_idx")]

    def __str__(self):
        return f"{self.lead_id}: {self.from_stage or '—'} → {self.to_stage}"


class Interaction(models.Model):
    """A typed event in a lead's life, with its time and author (null for web forms)."""

    # No index of its own: interaction_lead_time_idx begins with the lead (the fold writes
    # interactions by the hundred thousand, each paying for every index).
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="interactions", db_index=False)
    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    answers = models.JSONField(default=list, blank=True, help_text='[{"question": key, "answer": key}]')
    metadata = models.JSONField(default=dict, blank=True)
    offer = models.ForeignKey(
        "campaigns.Offer", null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-occurred_at"], name="interaction_lead_time_idx"),
            # The score analysis reads each outcome lead's answered interactions up to its close
            # (reports.analysis.answers): a few in ten of a lead's interactions, found without the rest.
            models.Index(fields=["lead", "occurred_at"], condition=~Q(answers=[]), name="interaction_answered_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on lead {self.lead_id}"


def hash_form_key(raw_key: str) -> str:
    """Form keys are long random tokens, so a plain SHA-256 is enough and fast to look up."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class FormKey(models.Model):
    """The key a website's form sends as X-Form-Key. Only its hash is stored; revoke by date."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=12, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    allowed_origins = models.JSONField(
        default=list, blank=True, help_text='Origins allowed to post from a browser, e.g. ["https://example.com"].'
    )
    default_offer_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # What a capture acts on: a key a process holds in memory (leads.capture) is still good while
    # these are as it read them, which leads.intake also checks inside its one statement.
    ACTING_FIELDS = ("revoked_at", "name", "allowed_origins", "default_offer_code")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def acting_facts(self) -> tuple:
        return tuple(getattr(self, name) for name in self.ACTING_FIELDS)


class IdempotencyRecord(models.Model):
    """The first response to an Idempotency-Key, replayed for 24 hours to identical retries."""

    form_key = models.ForeignKey(FormKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form_key", "key"], name="idempotency_key_per_form_key")]

    def __str__(self):
        return self.key


class Handover(models.Model):
    """A lead put in a salesperson's hands: by whom (none when they claimed it or took the
    referral their customer gave), when, and when the owner accepted it (at once for a claim or
    a referral). Written only by leads.ownership."""

    class Kind(models.TextChoices):
        HANDOVER = "handover", "Handed over"
        CLAIM = "claim", "Claimed"
        REFERRAL = "referral", "Took the referral"
        REASSIGN = "reassign", "Taken back: no response in time"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handovers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}: lead {self.lead_id} to {self.to_user}"


def default_required_facts() -> list[str]:
    """SPEC: a lead is sales-ready once why they inquired and the result they want are known."""
    return ["inquiry_reason", "desired_outcome"]


class RulesOfEngagement(models.Model):
    """What makes a lead sales-ready besides its score (the published rules' sales_ready
    threshold), and how fast a hot lead must be contacted. One row (pk 1, written by migration
    0012 with these defaults), edited by managers; read through leads.engagement."""

    FACTS = ("inquiry_reason", "desired_outcome", "estimated_value")

    required_facts = models.JSONField(default=default_required_facts, help_text=f"Any of {', '.join(FACTS)}.")
    hot_response_minutes = models.PositiveIntegerField(default=60)
    reassign_after_minutes = models.PositiveIntegerField(
        null=True, blank=True, default=240, help_text="Take an untouched hot lead back to the pool; empty: never."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "rules of engagement"

    def __str__(self):
        return "Rules of engagement"

    def clean(self):
        """Checked by the admin's form and by leads.engagement.update_rules_of_engagement alike."""
        errors = {}
        facts = self.required_facts if isinstance(self.required_facts, list) else None
        unknown = [fact for fact in facts or [] if fact not in self.FACTS]
        if facts is None or unknown:
            errors["required_facts"] = [f"Use a list of: {', '.join(self.FACTS)}."]
        if not self.hot_response_minutes or self.hot_response_minutes < 1:
            errors["hot_response_minutes"] = ["Give at least one minute."]
        if self.reassign_after_minutes is not None and self.reassign_after_minutes <= (self.hot_response_minutes or 0):
            errors["reassign_after_minutes"] = ["Must be longer than the response time, or empty for never."]
        if errors:
            raise ValidationError(errors)


class LeadFeedback(models.Model):
    """Sales tells marketing how good a lead was (seed 003, rule 4)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    rating = models.PositiveSmallIntegerField(help_text="1 (a waste of time) to 5 (a great lead).")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5")]

    def __str__(self):
        return f"{self.rating}/5 on lead {self.lead_id}"


class ContactMerge(models.Model):
    """The audit of one merge of duplicate contacts (leads.merging): who merged which contact into
    which, when, the leads that moved and the kept contact's blank fields filled from it. The
    merged contact's row is gone (its leads are the kept one's now), so what identified it stays
    here: its id, name, e-mail and phone (blanked, and suppressed, when the kept contact is
    erased: data_rights)."""

    kept = models.ForeignKey("crm.Contact", on_delete=models.PROTECT, related_name="merges")
    merged_contact_id = models.PositiveBigIntegerField(db_index=True, help_text="The id the merged contact had.")
    merged_name = models.CharField(max_length=201, blank=True)
    merged_email = models.CharField(max_length=254, blank=True)
    merged_phone = models.CharField(max_length=20, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    leads_moved = models.JSONField(default=list, blank=True, help_text="The ids of the merged contact's leads.")
    filled = models.JSONField(
        default=list, blank=True, help_text="The kept contact's blank fields filled from the merged one."
    )

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        return f"Contact #{self.merged_contact_id} merged into #{self.kept_id}"
