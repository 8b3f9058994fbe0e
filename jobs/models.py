"""Background jobs: the one mechanism for long work (rescoring, letter batches, list imports).

The row is the durable record: a Celery message only says "work on slice S of job N", so a lost
message or a killed worker is recovered by the sweep that re-sends stalled slices, and every
kind of job does its work idempotently (running a chunk twice does no harm).
"""

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A background job with progress people can watch (GET /api/v1/jobs/{id}/)."""

    kind = models.CharField(max_length=20, help_text="rescore, letters or import: see jobs.kinds.")
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
        if self.status == JobStatus.DONE:
            return 1.0
        return min(self.done / self.total, 1.0) if self.total else 0.0

    @property
    def is_running(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobSlice(models.Model):
    """One range of row ids of a job, worked by one task at a time, so a job runs on every
    worker process at once. `cursor` is the last id finished: a crashed slice resumes there.

    `lease` names the task chain working the slice, renewed with `heartbeat_at` at every chunk;
    a slice whose heartbeat has gone quiet for CRM_JOB_STALL_SECONDS is taken over by whichever
    task the sweep sends next, and a duplicate message finds the lease held and stops at once."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="slices")
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    cursor = models.BigIntegerField()
    lease = models.CharField(max_length=32, blank=True)
    takeovers = models.PositiveSmallIntegerField(default=0, help_text="Times a task took it from one that went quiet.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["first_id"]

    def __str__(self):
        return f"job {self.job_id}: ids {self.first_id}–{self.last_id}"
