"""Reads of jobs: what a progress bar shows."""

from jobs.models import Job


def job_context(job: Job, *, label: str = "") -> dict:
    """The progress bar's context (jobs/_job.html), for any page that shows a job."""
    return {"job": job, "running": job.is_running, "label": label}
