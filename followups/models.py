"""Follow-ups (scripts after a close, callbacks by hand) and unclosed-prospect letters.

The schedule is rows: a follow-up's `due_at` is what beat looks at, so a broker restart loses
nothing and nothing waits on a far-future message. A letter is one row per lead per batch (a
database constraint), with its own response code.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from crm.roles import Role


class Trigger(models.TextChoices):
    CLOSED_WON = "closed_won", "Closed won (a sale)"
    CLOSED_UNCLOSED = "closed_unclosed", "Closed unclosed (a visit with no sale)"
    AFTER_SALE = "after_sale", "Some days after a sale (advocacy, referrals)"


class AssigneeRule(models.TextChoices):
    OWNER = "owner", "The lead's owner (the CSR pool when it has none)"
    CSR_POOL = "csr_pool", "The CSR pool"


class FollowUpScript(models.Model):
    """What to do after a close: when (trigger and delay), who, and the questions to ask.
    `questions` is a list of {"key", "text", "kind": "yes_no" | "text"}; the key `needs_met`
    (yes_no) is special: "no" raises a follow-up for a manager."""

    name = models.CharField(max_length=120, unique=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    delay_days = models.PositiveSmallIntegerField(default=2, help_text="Days after the close.")
    assignee_rule = models.CharField(max_length=10, choices=AssigneeRule.choices, default=AssigneeRule.OWNER)
    questions = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["trigger", "delay_days", "name"]

    def __str__(self):
        return self.name


class FollowUpKind(models.TextChoices):
    CALLBACK = "callback", "Callback"
    CLOSED_WON = "closed_won", "After the sale"
    CLOSED_UNCLOSED = "closed_unclosed", "After a visit with no sale"
    AFTER_SALE = "after_sale", "Advocacy and referrals"
    NEEDS_NOT_MET = "needs_not_met", "Needs not met: a manager calls"
    NURTURE = "nurture", "A nurture sequence's call"


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DUE = "due", "Due"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


OPEN_FOLLOWUP_STATUSES = (FollowUpStatus.SCHEDULED, FollowUpStatus.DUE)


class FollowUp(models.Model):
    """One planned call on a lead. Assigned to a person, or to a pool (every CSR, or every
    manager) when `assignee` is empty. `script` is the questions as planned when it was made."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=16, choices=FollowUpKind.choices)
    script_source = models.ForeignKey(
        FollowUpScript, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    script = models.JSONField(default=list, blank=True, help_text="The questions to ask.")
    due_at = models.DateTimeField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    pool = models.CharField(
        max_length=10,
        blank=True,
        choices=[(Role.CSR, "CSR pool"), (Role.MANAGER, "Managers")],
        help_text="Who may take it when nobody is assigned.",
    )
    status = models.CharField(max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED)
    note = models.TextField(blank=True, help_text="What to call about, e.g. 'call back Tuesday at 10'.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When its assignee heard it was due.")
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(default=dict, blank=True)
    outcome = models.TextField(blank=True, help_text="The note taken when it was done, or why it was skipped.")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False), name="followup_done_has_a_time"
            ),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="scheduled"), name="followup_scheduled_due_idx"),
            models.Index(fields=["assignee", "status", "due_at"], name="followup_assignee_idx"),
            models.Index(fields=["lead", "due_at"], name="followup_lead_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on lead {self.lead_id} at {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FOLLOWUP_STATUSES


# --- Letters --------------------------------------------------------------------------------------


class LetterTemplate(models.Model):
    """An unclosed-prospect letter. `body` holds merge fields such as {{ first_name }}: only the
    fields in followups.letters.merge.FIELDS, replaced as text, never a template language."""

    name = models.CharField(max_length=120, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    offer = models.ForeignKey(
        "campaigns.Offer", null=True, blank=True, on_delete=models.SET_NULL, related_name="letter_templates"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="letter_templates",
        help_text="Only leads in this campaign's segment, when set.",
    )
    unclosed_days = models.PositiveSmallIntegerField(default=30, help_text="Unclosed for at least this long.")
    resend_after_days = models.PositiveSmallIntegerField(
        default=90, help_text="Not to a lead that was sent this letter within this many days."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class LetterBatch(models.Model):
    """One send of a template to a selection; its progress is its job's (jobs.Job)."""

    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="batches")
    job = models.OneToOneField("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unclosed_days = models.PositiveSmallIntegerField()
    selected_at = models.DateTimeField(help_text="The selection is taken as it stood at this moment.")
    pdf = models.CharField(max_length=300, blank=True, help_text="The combined PDF for the mail house.")
    daily = models.BooleanField(
        default=False, help_text="The day's letters of this template that nurture sequences added, one by one."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "letter batches"
        constraints = [
            models.UniqueConstraint(
                fields=["template", "selected_at"], condition=Q(daily=True), name="one_daily_batch_per_template_day"
            )
        ]

    def __str__(self):
        return f"{self.template} #{self.pk}"


class LetterStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Letter(models.Model):
    """One letter to one lead in one batch, with the response code printed on it."""

    batch = models.ForeignKey(LetterBatch, on_delete=models.CASCADE, related_name="letters")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="letters")
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="letters")
    code = models.CharField(max_length=12, unique=True, help_text="Stored without its dash: K7Q4MZPX.")
    status = models.CharField(max_length=10, choices=LetterStatus.choices, default=LetterStatus.SENT)
    subject = models.CharField(max_length=250, blank=True)
    text = models.TextField(blank=True, help_text="The letter as sent, merge fields filled in.")
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True, help_text="First call or form with its code.")

    class Meta:
        ordering = ["batch", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "lead"], name="one_letter_per_lead_per_batch")]
        indexes = [
            models.Index(fields=["template", "lead", "sent_at"], name="letter_template_lead_idx"),
            models.Index(fields=["lead", "sent_at"], name="letter_lead_idx"),
        ]

    def __str__(self):
        return f"{self.code} to lead {self.lead_id}"
