"""Nurture sequences: steps marketing writes once, worked on each enrolled lead over weeks.

A sequence's steps are a list (`steps`), each with a `key` that never changes (s1, s2 …) so an
edit never makes a done step new again. An enrolment is one lead in one sequence: its next step
and when it falls due are columns, so the beat sweep reads the due ones through an index, and each
step done is a row that the database refuses twice (one_run_per_step).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Trigger(models.TextChoices):
    INQUIRY_NOT_READY = "inquiry_not_ready", "An inquiry not sales-ready after N days"
    UNCLOSED = "unclosed", "Closed unclosed, N days ago"
    CUSTOMER = "customer", "Became a customer, N days ago"
    IMPORTED = "imported", "Imported on a bought list, N days ago"


class SequenceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class Sequence(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True)
    trigger_days = models.PositiveSmallIntegerField(default=0)
    steps = models.JSONField(default=list, help_text="The steps in order, each with its lasting key.")
    next_key = models.PositiveIntegerField(default=1, help_text="The number the next new step's key gets.")
    status = models.CharField(max_length=8, choices=SequenceStatus.choices, default=SequenceStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DONE = "done", "Done"
    EXITED = "exited", "Exited"


class ExitReason(models.TextChoices):
    SALES_READY = "sales_ready", "Became sales-ready"
    WON = "won", "Won"
    RESPONDED = "responded", "Replied or called in"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    DO_NOT_CONTACT = "do_not_contact", "Marked do not contact"
    ERASED = "erased", "Personal data erased"
    CLOSED = "closed", "Closed as dead"
    REMOVED = "removed", "Taken out by hand"


class Enrolment(models.Model):
    """One lead in one sequence. `next_step` is the key of the step to do when `due_at` comes;
    `waiting` says that step is a wait already started (its end is `due_at`). `last_step_at` is
    when the previous step was done: delays count from it. A branch asks what happened since the
    last e-mail, letter or call went (`last_action_at`, else since the lead entered), so the wait
    before it is the time the prospect had to open, click, scan or visit."""

    # No index of their own: enrolment_sequence_idx and enrolment_lead_idx begin with them, and
    # every index is one more entry to write for each step the sweep moves an enrolment on.
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrolments", db_index=False)
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="enrolments", db_index=False)
    status = models.CharField(max_length=8, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    exit_reason = models.CharField(max_length=16, choices=ExitReason.choices, blank=True)
    stage_at_enrolment = models.CharField(max_length=12)
    enrolled_at = models.DateTimeField(default=timezone.now)
    # enrolled_by and ended_by: indexed only where set (enrolment_staff_idx, enrolment_ended_by_idx):
    # most enrolments come from a trigger and end by themselves, and the sweep's every step wrote
    # an entry of nobody into both.
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    by_trigger = models.BooleanField(default=False)
    next_step = models.CharField(max_length=12, blank=True)
    next_position = models.PositiveSmallIntegerField(default=0, help_text="Where next_step stood (for an edit).")
    waiting = models.BooleanField(default=False)
    due_at = models.DateTimeField(null=True, blank=True)
    last_step_at = models.DateTimeField()
    last_action_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last e-mail, letter or call went: a branch looks at what followed."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who took the lead out by hand.",
        db_index=False,
    )

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "lead"], condition=Q(status="active"), name="one_active_enrolment_per_lead"
            ),
            models.CheckConstraint(
                condition=Q(status="active") | Q(ended_at__isnull=False), name="enrolment_ended_has_a_time"
            ),
        ]
        indexes = [
            # The sweep's order (due_at, id): a batch is the index's first rows, not a sort of every due one.
            models.Index(fields=["due_at", "id"], condition=Q(status="active"), name="enrolment_due_idx"),
            models.Index(fields=["lead", "sequence"], name="enrolment_lead_idx"),
            models.Index(fields=["sequence", "status"], name="enrolment_sequence_idx"),
            models.Index(fields=["enrolled_by"], condition=Q(enrolled_by__isnull=False), name="enrolment_staff_idx"),
            models.Index(fields=["ended_by"], condition=Q(ended_by__isnull=False), name="enrolment_ended_by_idx"),
        ]

    def __str__(self):
        return f"lead {self.lead_id} in {self.sequence_id}"


class StepRun(models.Model):
    """One step done for one enrolment: once, whatever the retries (one_run_per_step)."""

    # No index of its own: one_run_per_step begins with it.
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="runs", db_index=False)
    step = models.CharField(max_length=12)
    kind = models.CharField(max_length=8)
    done_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=200, blank=True, help_text="What it did: sent, skipped and why, yes/no.")
    email_key = models.CharField(max_length=200, blank=True, help_text="The outbox key of the e-mail it sent.")

    class Meta:
        ordering = ["done_at", "id"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "step"], name="one_run_per_step")]
        indexes = [models.Index(fields=["kind", "done_at"], name="steprun_kind_idx")]

    def __str__(self):
        return f"{self.step} of enrolment {self.enrolment_id}"
