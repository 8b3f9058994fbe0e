"""Rule sets (versioned data) and the history of every score change."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class RuleSet(models.Model):
    """One version of the scoring rules. Exactly one is published at a time."""

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=10, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT)
    definition = models.JSONField(help_text="rules, questions, profile, decay and thresholds")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="published"), name="one_published_rule_set"),
            models.UniqueConstraint(fields=["status"], condition=Q(status="draft"), name="one_draft_rule_set"),
        ]

    def __str__(self):
        return f"Rules v{self.version} ({self.status})"


class ScoreChange(models.Model):
    """A lead's score moved: from what, to what, why, under which rules version."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="score_changes")
    old_score = models.PositiveSmallIntegerField()
    new_score = models.PositiveSmallIntegerField()
    old_temperature = models.CharField(max_length=4)
    new_temperature = models.CharField(max_length=4)
    reason = models.CharField(max_length=200)
    rules_version = models.PositiveIntegerField()
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["lead", "-changed_at"], name="scorechange_lead_idx")]

    def __str__(self):
        return f"{self.lead_id}: {self.old_score} → {self.new_score}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A background job with progress people can watch (GET /api/v1/jobs/{id}/).

    The row is the durable record: the Celery message only says "work on job N", so a lost
    message or a killed worker is recovered by the sweep that re-enqueues stalled jobs, and
    the work itself is idempotent (a rescore skips leads already on the target version).
    """

    kind = models.CharField(max_length=20, default="rescore")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat_idx")]

    def __str__(self):
        return f"{self.kind} job #{self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        return (
            1.0
            if self.total == 0 and self.status == JobStatus.DONE
            else (self.done / self.total if self.total else 0.0)
        )


class JobSlice(models.Model):
    """One range of lead ids of a job, worked by one task at a time, so a job runs on every
    worker process at once. `cursor` is the last id finished: a crashed slice resumes there."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="slices")
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    cursor = models.BigIntegerField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["first_id"]

    def __str__(self):
        return f"job {self.job_id}: ids {self.first_id}–{self.last_id}"
